//! Field definitions as written in `fields.yml` and `ecs_nested.yml`, decoded leniently the way
//! elastic-package's Go YAML reader (yaml.v3) does, and the ECS `external` resolution.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A string decoded like yaml.v3 decodes any scalar into a Go `string` (`5` → `"5"`, null → `""`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GoStr(pub String);

impl<'de> Deserialize<'de> for GoStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoStr, E> {
                Ok(GoStr(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<GoStr, E> {
                Ok(GoStr(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoStr, E> {
                Ok(GoStr(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoStr, E> {
                Ok(GoStr(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoStr, E> {
                Ok(GoStr(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoStr, E> {
                Ok(GoStr(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<GoStr, E> {
                Ok(GoStr::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<GoStr, E> {
                Ok(GoStr::default())
            }
        }
        // `deserialize_str` hands plain scalars over as written (`1.0` stays `1.0`).
        d.deserialize_str(V)
    }
}

/// A boolean decoded like yaml.v3 decodes into a Go `bool` (YAML 1.1 `yes`/`on` accepted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GoBool(pub bool);

impl<'de> Deserialize<'de> for GoBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoBool, E> {
                Ok(GoBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoBool, E> {
                match v {
                    "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y"
                    | "Y" => Ok(GoBool(true)),
                    "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF"
                    | "n" | "N" => Ok(GoBool(false)),
                    _ => Err(E::custom(format!("cannot unmarshal `{v}` into bool"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// One `allowed_values` entry (ECS `event.category` and friends).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub(crate) struct AllowedValue {
    /// The allowed value.
    pub name: GoStr,
    /// `event.type` values expected with this value.
    pub expected_event_types: Option<Vec<GoStr>>,
}

/// A field definition as written, keeping which keys were present (needed for ECS overrides).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct RawField {
    pub name: Option<GoStr>,
    #[serde(rename = "type")]
    pub ty: Option<GoStr>,
    pub object_type: Option<GoStr>,
    pub value: Option<GoStr>,
    pub allowed_values: Option<Vec<AllowedValue>>,
    pub expected_values: Option<Vec<GoStr>>,
    pub pattern: Option<GoStr>,
    pub external: Option<GoStr>,
    pub enabled: Option<GoBool>,
    pub normalize: Option<Vec<GoStr>>,
    pub fields: Option<RawFields>,
    pub multi_fields: Option<Vec<RawField>>,
}

/// A list of field definitions: a YAML sequence (fields.yml) or a map keyed by name (ECS).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawFields(pub Vec<RawField>);

impl<'de> Deserialize<'de> for RawFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list or a map of field definitions")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawFields, E> {
                Ok(RawFields::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<RawFields, E> {
                Ok(RawFields::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawFields, A::Error> {
                let mut out = Vec::new();
                while let Some(f) = seq.next_element::<Option<RawField>>()? {
                    out.push(f.unwrap_or_default());
                }
                Ok(RawFields(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields, A::Error> {
                // The ECS form: keys are names; children not prefixed by their parent's name are
                // "base" fields that belong at the level of the parent (elastic-package's cleanNested).
                let mut out = Vec::new();
                while let Some((name, field)) = map.next_entry::<GoStr, Option<RawField>>()? {
                    let mut field = field.unwrap_or_default();
                    field.name = Some(name);
                    let base = clean_nested(&mut field);
                    let has_children = field.fields.as_ref().is_some_and(|f| !f.0.is_empty());
                    let had_base = !base.is_empty();
                    out.extend(base);
                    if had_base && !has_children {
                        continue;
                    }
                    out.push(field);
                }
                Ok(RawFields(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Strips the parent's name from prefixed children; returns the children that are not prefixed.
fn clean_nested(parent: &mut RawField) -> Vec<RawField> {
    let prefix = format!(
        "{}.",
        parent.name.as_ref().map(|n| n.0.as_str()).unwrap_or("")
    );
    let Some(children) = parent.fields.take() else {
        return Vec::new();
    };
    let mut nested = Vec::new();
    let mut base = Vec::new();
    for mut child in children.0 {
        let name = child.name.as_ref().map(|n| n.0.clone()).unwrap_or_default();
        if let Some(rest) = name.strip_prefix(&prefix) {
            child.name = Some(GoStr(rest.to_string()));
            nested.push(child);
        } else {
            base.push(child);
        }
    }
    parent.fields = Some(RawFields(nested));
    base
}

/// A resolved field definition (after ECS injection).
#[derive(Debug, Clone, Default)]
pub(crate) struct Def {
    pub name: String,
    pub ty: String,
    pub object_type: String,
    pub value: String,
    pub allowed_values: Vec<AllowedValue>,
    pub expected_values: Vec<String>,
    pub pattern: String,
    pub external: String,
    pub enabled: Option<bool>,
    pub normalize: Vec<String>,
    pub fields: Vec<Def>,
    pub multi_fields: Vec<Def>,
}

fn s(v: &Option<GoStr>) -> String {
    v.as_ref().map(|g| g.0.clone()).unwrap_or_default()
}

fn strs(v: &Option<Vec<GoStr>>) -> Vec<String> {
    v.as_ref()
        .map(|l| l.iter().map(|g| g.0.clone()).collect())
        .unwrap_or_default()
}

impl Def {
    /// Converts a raw definition as written, without resolving `external`.
    pub(crate) fn from_raw(raw: &RawField) -> Def {
        Def {
            name: s(&raw.name),
            ty: s(&raw.ty),
            object_type: s(&raw.object_type),
            value: s(&raw.value),
            allowed_values: raw.allowed_values.clone().unwrap_or_default(),
            expected_values: strs(&raw.expected_values),
            pattern: s(&raw.pattern),
            external: s(&raw.external),
            enabled: raw.enabled.map(|b| b.0),
            normalize: strs(&raw.normalize),
            fields: raw
                .fields
                .as_ref()
                .map(|f| f.0.iter().map(Def::from_raw).collect())
                .unwrap_or_default(),
            multi_fields: raw
                .multi_fields
                .as_ref()
                .map(|f| f.iter().map(Def::from_raw).collect())
                .unwrap_or_default(),
        }
    }

    /// The part of an imported (ECS) definition elastic-package copies into a package field
    /// (`transformImportedField` with validation settings).
    pub(crate) fn imported_part(&self) -> Def {
        Def {
            name: self.name.clone(),
            ty: self.ty.clone(),
            object_type: self.object_type.clone(),
            pattern: self.pattern.clone(),
            multi_fields: self.multi_fields.iter().map(Def::imported_part).collect(),
            normalize: self.normalize.clone(),
            allowed_values: self.allowed_values.clone(),
            expected_values: self.expected_values.clone(),
            ..Def::default()
        }
    }

    /// Applies the keys a package definition sets over an imported one (elastic-package's
    /// `DeepUpdate`), keeping the imported type unless the override is one of the allowed ones.
    pub(crate) fn override_with(mut self, raw: &RawField) -> Def {
        let imported_type = self.ty.clone();
        if let Some(v) = &raw.name {
            self.name = v.0.clone();
        }
        if let Some(v) = &raw.ty {
            self.ty = v.0.clone();
        }
        if let Some(v) = &raw.object_type {
            self.object_type = v.0.clone();
        }
        if let Some(v) = &raw.value {
            self.value = v.0.clone();
        }
        if let Some(v) = &raw.allowed_values {
            self.allowed_values = v.clone();
        }
        if raw.expected_values.is_some() {
            self.expected_values = strs(&raw.expected_values);
        }
        if let Some(v) = &raw.pattern {
            self.pattern = v.0.clone();
        }
        if let Some(v) = raw.enabled {
            self.enabled = Some(v.0);
        }
        if raw.normalize.is_some() {
            self.normalize = strs(&raw.normalize);
        }
        if let Some(f) = &raw.fields {
            self.fields = f.0.iter().map(Def::from_raw).collect();
        }
        if let Some(f) = &raw.multi_fields {
            self.multi_fields = f.iter().map(Def::from_raw).collect();
        }
        let allowed = matches!(
            (imported_type.as_str(), self.ty.as_str()),
            ("keyword", "constant_keyword") | ("object", "group") | ("object", "nested")
        );
        if !allowed {
            self.ty = imported_type;
        }
        // The `external` key is dropped once resolved.
        self.external = String::new();
        self
    }
}

/// Parses the text of a fields.yml file (a list of definitions).
pub(crate) fn parse_fields_file(text: &str) -> Result<Vec<RawField>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    // The top level is a list (Go decodes it into `[]FieldDefinition`).
    let parsed: Option<Vec<Option<RawField>>> =
        serde_norway::from_str(text).map_err(|e| e.to_string())?;
    Ok(parsed
        .unwrap_or_default()
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// Parses the text of an `ecs_nested.yml` file, marking every definition `external: ecs`.
pub(crate) fn parse_ecs_file(text: &str) -> Result<Vec<Def>, String> {
    let parsed: Option<RawFields> = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let mut defs: Vec<Def> = parsed
        .map(|f| f.0.iter().map(Def::from_raw).collect())
        .unwrap_or_default();
    fn mark(defs: &mut [Def]) {
        for d in defs {
            d.external = "ecs".into();
            for m in &mut d.multi_fields {
                m.external = "ecs".into();
            }
            mark(&mut d.fields);
        }
    }
    mark(&mut defs);
    Ok(defs)
}

/// Field-name endings of ECS fields to which the `ecs@mappings` template adds a `.text`
/// multi-field (elastic-package's `ecsPathWithMultifieldsMatch`).
const ECS_TEXT_MULTIFIELD_SUFFIXES: &[&str] = &[
    ".body.content",
    "url.full",
    "url.original",
    "command_line",
    "stack_trace",
    ".title",
    ".executable",
    ".name",
    ".working_directory",
    ".full_name",
    "file.path",
    "file.target_path",
    "os.full",
    "email.subject",
    "vulnerability.description",
    "user_agent.original",
];

/// Adds the `text` (match_only_text) multi-field `ecs@mappings` defines where none is declared.
pub(crate) fn append_ecs_mapping_multifields(defs: &mut [Def], prefix: &str) {
    for d in defs {
        let full = if prefix.is_empty() {
            d.name.clone()
        } else {
            format!("{prefix}.{}", d.name)
        };
        append_ecs_mapping_multifields(&mut d.fields, &full);
        if ECS_TEXT_MULTIFIELD_SUFFIXES
            .iter()
            .any(|suffix| full.ends_with(suffix))
            && !d.multi_fields.iter().any(|m| m.name == "text")
        {
            d.multi_fields.push(Def {
                name: "text".into(),
                ty: "match_only_text".into(),
                external: "ecs_component".into(),
                ..Def::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_decode_as_go_strings() {
        let f =
            parse_fields_file("- name: 5\n  value: 1.0\n  type: keyword\n  enabled: no\n").unwrap();
        assert_eq!(f[0].name, Some(GoStr("5".into())));
        assert_eq!(f[0].value, Some(GoStr("1.0".into())));
        assert_eq!(f[0].enabled, Some(GoBool(false)));
    }

    #[test]
    fn ecs_map_form_strips_parent_names_and_lifts_base_fields() {
        let text = "base:\n  fields:\n    '@timestamp':\n      type: date\n    message:\n      type: match_only_text\nagent:\n  type: group\n  fields:\n    agent.name:\n      name: name\n      type: keyword\n";
        let defs = parse_ecs_file(text).unwrap();
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["@timestamp", "message", "agent"]);
        assert_eq!(defs[2].fields[0].name, "name");
        assert_eq!(defs[2].fields[0].external, "ecs");
    }

    #[test]
    fn malformed_files_are_errors() {
        for text in [
            "- name: a\n  normalize: array\n",
            "- name: a\n  fields: 3\n",
            "[",
            "- name: a\n  enabled: maybe\n",
            "a: b\n",
        ] {
            assert!(parse_fields_file(text).is_err(), "{text}");
        }
    }
}
