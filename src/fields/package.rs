//! Building a data stream's schema the way `elastic-package test pipeline` builds its validator:
//! package manifest (spec version, Kibana condition), `_dev/build/build.yml` (ECS reference,
//! `import_mappings`), data stream manifest and pipelines (expected datasets).

use super::{EcsSource, FieldSchema, FieldsError, LoadOptions, SpecVersion, ValidationSettings};
use serde_norway::Value as Yaml;
use std::path::Path;

/// Stack versions without the `ecs@mappings` component template (elastic-package's
/// `stackVersionsWithoutECS`: 7.14.0 up to 8.12.2).
fn stack_versions_without_ecs() -> Vec<SpecVersion> {
    let mut v = Vec::new();
    for p in 0..=24 {
        v.push(SpecVersion(7, 17, p));
    }
    for (minor, last) in [(14, 2), (15, 2), (16, 3)] {
        for p in 0..=last {
            v.push(SpecVersion(7, minor, p));
        }
    }
    for (minor, last) in [
        (0, 1),
        (1, 3),
        (2, 3),
        (3, 3),
        (4, 3),
        (5, 3),
        (6, 2),
        (7, 1),
        (8, 2),
        (9, 2),
        (10, 4),
        (11, 4),
        (12, 2),
    ] {
        for p in 0..=last {
            v.push(SpecVersion(8, minor, p));
        }
    }
    v
}

/// True when a Kibana version constraint (`^8.13.0`, `^7.17.0 || ^8.0.0`) admits no stack
/// release before 8.13.0, so every stack the package runs on has `ecs@mappings`
/// (elastic-package's `allVersionsIncludeECS`). An unparsable constraint gives false.
pub fn kibana_constraint_requires_ecs_mappings(constraint: &str) -> bool {
    let Some(c) = Constraint::parse(constraint) else {
        return false;
    };
    !stack_versions_without_ecs().iter().any(|v| c.allows(*v))
}

/// A Masterminds/semver constraint: OR of AND groups of ranges `[low, high)`.
struct Constraint(Vec<Vec<Range>>);

#[derive(Clone, Copy)]
struct Range {
    low: Option<(SpecVersion, bool)>,
    high: Option<(SpecVersion, bool)>,
    negate: bool,
}

impl Range {
    fn allows(&self, v: SpecVersion) -> bool {
        let in_low = self
            .low
            .is_none_or(|(l, incl)| if incl { v >= l } else { v > l });
        let in_high = self
            .high
            .is_none_or(|(h, incl)| if incl { v <= h } else { v < h });
        (in_low && in_high) != self.negate
    }
}

/// A partial version: how many of major/minor/patch were given (wildcards end it).
fn partial(text: &str) -> Option<(SpecVersion, usize)> {
    let t = text.trim().trim_start_matches(['v', 'V']);
    let core = t.split(['-', '+']).next()?;
    let mut nums = Vec::new();
    for part in core.split('.') {
        if matches!(part, "x" | "X" | "*") {
            break;
        }
        nums.push(part.parse::<u64>().ok()?);
    }
    if nums.len() > 3 {
        return None;
    }
    let get = |i: usize| nums.get(i).copied().unwrap_or(0);
    Some((SpecVersion(get(0), get(1), get(2)), nums.len()))
}

/// The first version after everything the partial version covers.
fn bump(v: SpecVersion, given: usize) -> Option<SpecVersion> {
    match given {
        0 => None,
        1 => Some(SpecVersion(v.0 + 1, 0, 0)),
        2 => Some(SpecVersion(v.0, v.1 + 1, 0)),
        _ => Some(SpecVersion(v.0, v.1, v.2 + 1)),
    }
}

impl Constraint {
    fn parse(text: &str) -> Option<Constraint> {
        let mut groups = Vec::new();
        for group in text.split("||") {
            let mut ranges = Vec::new();
            // Operators may be separated from their version by spaces.
            let mut pending = String::new();
            for token in group.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
                if token.chars().all(|c| "<>=!~^".contains(c)) {
                    pending.push_str(token);
                    continue;
                }
                let item = format!("{pending}{token}");
                pending.clear();
                ranges.push(Self::parse_one(&item)?);
            }
            if !pending.is_empty() || ranges.is_empty() {
                return None;
            }
            groups.push(ranges);
        }
        Some(Constraint(groups))
    }

    fn parse_one(item: &str) -> Option<Range> {
        let op_len = item
            .find(|c: char| !"<>=!~^".contains(c))
            .unwrap_or(item.len());
        let (op, ver) = item.split_at(op_len);
        let (v, given) = partial(ver)?;
        let next = bump(v, given);
        let r = |low, high| Range {
            low,
            high,
            negate: false,
        };
        Some(match op {
            "" | "=" | "==" => r(Some((v, true)), next.map(|n| (n, false))),
            "!=" => Range {
                negate: true,
                ..r(Some((v, true)), next.map(|n| (n, false)))
            },
            ">" => match next {
                Some(n) if given < 3 => r(Some((n, true)), None),
                _ => r(Some((v, false)), None),
            },
            ">=" | "=>" => r(Some((v, true)), None),
            "<" => r(None, Some((v, false))),
            "<=" | "=<" => match next {
                Some(n) if given < 3 => r(None, Some((n, false))),
                _ => r(None, Some((v, true))),
            },
            "~" | "~>" => {
                let high = if given <= 1 {
                    SpecVersion(v.0 + 1, 0, 0)
                } else {
                    SpecVersion(v.0, v.1 + 1, 0)
                };
                r(Some((v, true)), Some((high, false)))
            }
            "^" => {
                let high = if v.0 > 0 || given <= 1 {
                    SpecVersion(v.0 + 1, 0, 0)
                } else if v.1 > 0 || given == 2 {
                    SpecVersion(0, v.1 + 1, 0)
                } else {
                    SpecVersion(0, 0, v.2 + 1)
                };
                r(Some((v, true)), Some((high, false)))
            }
            _ => return None,
        })
    }

    fn allows(&self, v: SpecVersion) -> bool {
        self.0.iter().any(|g| g.iter().all(|r| r.allows(v)))
    }
}

fn read_yaml(path: &Path) -> Result<Option<Yaml>, FieldsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FieldsError::new(path, format!("can't read file: {e}"))),
    };
    serde_norway::from_str(&text)
        .map(Some)
        .map_err(|e| FieldsError::new(path, format!("can't parse YAML: {e}")))
}

fn get<'y>(y: &'y Yaml, path: &[&str]) -> Option<&'y Yaml> {
    let mut cur = y;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

fn scalar(y: Option<&Yaml>) -> Option<String> {
    match y? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(y: Option<&Yaml>) -> Vec<String> {
    match y {
        Some(Yaml::Sequence(items)) => items.iter().filter_map(|i| scalar(Some(i))).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// Datasets named by reroute processors of the data stream's pipelines and its routing rules.
fn reroute_datasets(ds_dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(ds_dir.join("elasticsearch/ingest_pipeline"))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        let Ok(Some(y)) = read_yaml(&file) else {
            continue;
        };
        let Some(Yaml::Sequence(processors)) = y.get("processors") else {
            continue;
        };
        for p in processors {
            if let Some(reroute) = p.get("reroute") {
                out.extend(strings(reroute.get("dataset")));
            }
        }
    }
    if let Ok(Some(Yaml::Sequence(rules))) = read_yaml(&ds_dir.join("routing_rules.yml")) {
        for group in &rules {
            if let Some(Yaml::Sequence(rs)) = group.get("rules") {
                for r in rs {
                    out.extend(strings(r.get("target_dataset")));
                }
            }
        }
    }
    out
}

impl FieldSchema {
    /// Loads a data stream's fields as `elastic-package test pipeline` validates them: the data
    /// stream's `fields/*.yml` with `external: ecs` resolved from `<ecs_dir>/<reference>/`, all of
    /// ECS imported when the package embeds ECS mappings (`import_mappings` with spec ≥ 2.3.0) or
    /// needs Kibana ≥ 8.13, the package's spec version, the IP check, and the expected datasets
    /// (reroute targets, else the data stream's `dataset`, else `<package>.<data stream>`).
    pub fn for_data_stream(
        package_root: &Path,
        data_stream: &str,
        ecs_dir: &Path,
    ) -> Result<FieldSchema, FieldsError> {
        let manifest_path = package_root.join("manifest.yml");
        let manifest = read_yaml(&manifest_path)?
            .ok_or_else(|| FieldsError::new(&manifest_path, "package manifest not found"))?;
        let spec_text = scalar(manifest.get("format_version")).unwrap_or_default();
        let spec_version = SpecVersion::parse(&spec_text).ok_or_else(|| {
            FieldsError::new(
                &manifest_path,
                format!("invalid format_version {spec_text:?}"),
            )
        })?;
        let package_name = scalar(manifest.get("name")).unwrap_or_default();
        let kibana = scalar(get(&manifest, &["conditions", "kibana", "version"]))
            .or_else(|| scalar(get(&manifest, &["conditions", "kibana.version"])));

        let build_path = package_root.join("_dev/build/build.yml");
        let build = read_yaml(&build_path)?;
        let mut ecs = None;
        let mut import_all = false;
        if let Some(build) = &build {
            let reference = scalar(get(build, &["dependencies", "ecs", "reference"]));
            let reference = match reference {
                None => None,
                Some(r) => match r.strip_prefix("git@") {
                    Some(folder) => Some(folder.to_string()),
                    None => {
                        return Err(FieldsError::new(
                            &build_path,
                            format!(
                                "can't process the value as Git reference: invalid Git reference (\"git@\" prefix expected): {r}"
                            ),
                        ));
                    }
                },
            };
            let import_mappings = matches!(
                get(build, &["dependencies", "ecs", "import_mappings"]),
                Some(Yaml::Bool(true))
            );
            let embeds = import_mappings && spec_version >= SpecVersion(2, 3, 0);
            let stack_has_ecs = kibana
                .as_deref()
                .is_some_and(kibana_constraint_requires_ecs_mappings);
            import_all = embeds || stack_has_ecs;
            ecs = Some(EcsSource {
                dir: ecs_dir.to_path_buf(),
                reference,
            });
        }

        let ds_dir = package_root.join("data_stream").join(data_stream);
        let ds_manifest = read_yaml(&ds_dir.join("manifest.yml"))?;
        let mut expected = reroute_datasets(&ds_dir);
        if expected.is_empty() {
            let dataset = ds_manifest
                .as_ref()
                .and_then(|m| scalar(m.get("dataset")))
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| format!("{package_name}.{data_stream}"));
            expected.push(dataset);
        }

        let options = LoadOptions {
            import_all_ecs: import_all,
            settings: ValidationSettings {
                rules: Default::default(),
                spec_version,
                expected_datasets: Some(expected),
                allowed_ip_check: true,
                default_numeric_conversion: false,
            },
        };
        let fields_dir = ds_dir.join("fields");
        FieldSchema::load_with(&[fields_dir.as_path()], ecs.as_ref(), &options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kibana_constraints_decide_ecs_mappings() {
        for (c, want) in [
            ("^8.13.0", true),
            ("^8.14.0", true),
            ("^8.12.0", false),
            ("^7.16.0 || ^8.0.0", false),
            ("^8.13.0 || ^9.0.0", true),
            (">=8.13.0", true),
            (">= 8.12.2", false),
            ("~8.12.0", false),
            ("8.13.0", true),
            ("8.12", false),
            ("not a constraint", false),
        ] {
            assert_eq!(kibana_constraint_requires_ecs_mappings(c), want, "{c}");
        }
    }
}
