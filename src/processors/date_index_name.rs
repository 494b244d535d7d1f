//! `date_index_name`: points `_index` at a date-math index name built from a date field
//! (Elasticsearch's DateIndexNameProcessor), e.g. `<events-{2016-04-22||/d{yyyy-MM-dd|UTC}}>`.

use super::uri_parts::{LazyPath, get_object, lazy_path, path_of};
use crate::dates::{DateFormat, DateFormatter, Zone};
use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::template::Template;
use crate::value::Value;

#[derive(Debug)]
struct DateIndexName {
    field: LazyPath,
    formats: Vec<DateFormat>,
    zone: Zone,
    prefix: Template,
    rounding: Template,
    index_format: Template,
    /// `index_name_format` compiled once when it holds no template.
    static_format: Option<Result<DateFormatter, String>>,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let locale = cfg.opt_str("locale")?;
    let timezone = cfg.opt_str("timezone")?;
    let zone = match &timezone {
        None => Zone::UTC,
        Some(t) => Zone::of(t).map_err(ConfigError::general)?,
    };
    if let Some(l) = &locale
        && !crate::dates::Locale::is_language_tag(l)
    {
        return Err(ConfigError::general(format!("Invalid language tag specified: {l}")).into());
    }
    let formats: Vec<String> = match cfg.opt_list("date_formats")? {
        None => vec!["yyyy-MM-dd'T'HH:mm:ss.SSSXX".to_string()],
        Some(l) => l.iter().map(Value::to_java_string).collect(),
    };
    let formats: Vec<DateFormat> = formats.iter().map(|f| DateFormat::compile(f)).collect();
    // Elasticsearch builds the formatters when the processor is created.
    if let Some(e) = formats.iter().find_map(DateFormat::error) {
        return Err(ConfigError::general(e.to_string()).into());
    }
    let field = cfg.req_str("field")?;
    let template = |key: &str, text: String| {
        Template::compile(&text).map_err(|e| ConfigError::property(key, e))
    };
    let prefix = template("index_name_prefix", cfg.str_or("index_name_prefix", "")?)?;
    let rounding = template("date_rounding", cfg.req_str("date_rounding")?)?;
    let index_format = cfg.str_or("index_name_format", "yyyy-MM-dd")?;
    let index_format = template("index_name_format", index_format)?;
    let static_format =
        (!index_format.is_dynamic()).then(|| DateFormatter::of(index_format.source()));
    Ok(Box::new(DateIndexName {
        field: lazy_path(&field),
        formats,
        zone,
        prefix,
        rounding,
        index_format,
        static_format,
    }))
}

impl Processor for DateIndexName {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let field = path_of(&self.field)?;
        let text = get_object(doc, field, false)?.map(Value::to_java_string);
        let year = doc.ingest_year();
        let mut first_failure = None;
        let mut parsed = None;
        for f in &self.formats {
            match f.parse(text.as_deref(), &self.zone, year) {
                Ok(t) => {
                    parsed = Some(t);
                    break;
                }
                Err(e) => {
                    first_failure.get_or_insert(e);
                }
            }
        }
        let Some(t) = parsed else {
            let shown = text.as_deref().unwrap_or("null");
            let mut e = IngestError::illegal_argument(format!("unable to parse date [{shown}]"));
            if let Some(f) = first_failure {
                e.caused_by = Some(Box::new(IngestError::new(f.kind, f.reason)));
            }
            return Err(e);
        };
        let prefix = self.prefix.render(doc);
        let index_format = self.index_format.render(doc);
        let rounding = self.rounding.render(doc);
        let formatter = match &self.static_format {
            Some(f) => f.clone(),
            None => DateFormatter::of(&index_format),
        }
        .map_err(IngestError::illegal_argument)?;
        // ES prints `UTC` rather than `Z` for the UTC offset, as 6.x did.
        let zone = if self.zone == Zone::UTC {
            "UTC".to_string()
        } else {
            self.zone.id()
        };
        let name = format!(
            "<{prefix}{{{}||/{rounding}{{{index_format}|{zone}}}}}>",
            formatter.format(&t)
        );
        let index = FieldPath::parse("_index")?;
        doc.set(&index, Value::String(name))?;
        Ok(Flow::Continue)
    }
}

/// Resolves an index name written in date math, `<static{math{format|zone}}static>`, as
/// Elasticsearch's `DateMathExpressionResolver` does (names not in `<…>` are returned as they
/// are); `now_millis` is the request's start time. The index API needs this for the names
/// `date_index_name` produces.
#[allow(dead_code, reason = "for the REST layer's index API, not wired yet")]
pub(crate) fn resolve_index_name(expr: &str, now_millis: i64) -> Result<String, String> {
    let Some(inner) = expr.strip_prefix('<').and_then(|e| e.strip_suffix('>')) else {
        return Ok(expr.to_string());
    };
    let invalid = |why: &str| format!("invalid dynamic name expression [{inner}]. {why}");
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or_else(|| invalid("unexpected end"))?),
            '}' => return Err(invalid("invalid character in placeholder at position")),
            '{' => {
                // The placeholder runs to its matching `}`; `{format|zone}` nests once.
                let mut body = String::new();
                let mut depth = 0;
                loop {
                    let c = chars.next().ok_or_else(|| invalid("missing closing `}`"))?;
                    match c {
                        '\\' => {
                            body.push(c);
                            body.push(chars.next().ok_or_else(|| invalid("unexpected end"))?);
                        }
                        '{' => {
                            depth += 1;
                            body.push(c);
                        }
                        '}' if depth == 0 => break,
                        '}' => {
                            depth -= 1;
                            body.push(c);
                        }
                        _ => body.push(c),
                    }
                }
                out.push_str(&resolve_placeholder(&body, now_millis).map_err(|e| invalid(&e))?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// One `{math{format|zone}}` placeholder (default format `uuuu.MM.dd`, zone UTC).
fn resolve_placeholder(body: &str, now_millis: i64) -> Result<String, String> {
    let (math, pattern, zone) = match body.find('{') {
        None => (body, "uuuu.MM.dd", Zone::UTC),
        Some(i) => {
            // i is where an ASCII '{' starts in body: i + 1 and i are char boundaries.
            let spec = body[i + 1..]
                .strip_suffix('}')
                .ok_or("missing closing `}` for date math format")?;
            match spec.split_once('|') {
                None => (&body[..i], spec, Zone::UTC),
                Some((p, z)) => (&body[..i], p, Zone::of(z)?),
            }
        }
    };
    let formatter = DateFormatter::of(pattern)?;
    let (anchor, ops) = if let Some(rest) = math.strip_prefix("now") {
        let now = crate::dates::ZonedDateTime::from_epoch_millis(now_millis, zone.clone())
            .ok_or("time out of range")?;
        (now, rest)
    } else {
        let (date, ops) = math.split_once("||").unwrap_or((math, ""));
        (formatter.parse(date, &zone, 1970)?, ops)
    };
    let t = apply_date_math(anchor, ops)?;
    Ok(formatter.format(&t))
}

/// ES's `JavaDateMathParser.parseMath` (rounding down): `+1d`, `-2M`, `/w`, … in the zone.
fn apply_date_math(
    mut t: crate::dates::ZonedDateTime,
    ops: &str,
) -> Result<crate::dates::ZonedDateTime, String> {
    use chrono::{Datelike, Duration, Months, NaiveTime, Timelike};
    let chars: Vec<char> = ops.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // i < chars.len() (loop condition).
        let op = chars[i];
        i += 1;
        let (round, sign) = match op {
            '/' => (true, 0i64),
            '+' => (false, 1),
            '-' => (false, -1),
            _ => return Err(format!("operator not supported for date math [{ops}]")),
        };
        let mut num = 1i64;
        if !round {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                // start < i <= chars.len().
                let digits: String = chars[start..i].iter().collect();
                num = digits
                    .parse()
                    .map_err(|_| format!("invalid number in [{ops}]"))?;
            }
        }
        let unit = *chars
            .get(i)
            .ok_or_else(|| format!("truncated date math [{ops}]"))?;
        i += 1;
        let local = t.local();
        let zone = t.zone.clone();
        let from_local = |l: chrono::NaiveDateTime| crate::dates::ZonedDateTime {
            utc: zone.local_to_utc(&l),
            zone: zone.clone(),
        };
        let midnight = |d: chrono::NaiveDate| d.and_time(NaiveTime::MIN);
        if round {
            let date = local.date();
            let rounded = match unit {
                'y' => midnight(date.with_ordinal(1).unwrap_or(date)),
                'M' => midnight(date.with_day(1).unwrap_or(date)),
                'w' => midnight(
                    date.checked_sub_signed(Duration::days(i64::from(
                        date.weekday().num_days_from_monday(),
                    )))
                    .ok_or_else(|| "date out of range".to_string())?,
                ),
                'd' => midnight(date),
                'h' | 'H' => local
                    .with_minute(0)
                    .and_then(|l| l.with_second(0))
                    .unwrap_or(local),
                'm' => local.with_second(0).unwrap_or(local),
                's' => local.with_nanosecond(0).unwrap_or(local),
                _ => return Err(format!("rounding `/{unit}` is not supported")),
            };
            let rounded = match unit {
                'h' | 'H' | 'm' => rounded.with_nanosecond(0).unwrap_or(rounded),
                _ => rounded,
            };
            t = from_local(rounded);
            continue;
        }
        let n = sign * num;
        // Checked arithmetic throughout: an amount like `now+9999999999999d` (an index name is
        // user input) must be an error, not an overflow panic.
        let out_of_range = || "date out of range".to_string();
        let months = |m: Option<i64>| -> Result<chrono::NaiveDateTime, String> {
            let m = m.ok_or_else(out_of_range)?;
            let count = u32::try_from(m.unsigned_abs()).map_err(|_| out_of_range())?;
            let shifted = if m >= 0 {
                local.checked_add_months(Months::new(count))
            } else {
                local.checked_sub_months(Months::new(count))
            };
            shifted.ok_or_else(out_of_range)
        };
        let shift_local = |d: Option<Duration>| -> Result<crate::dates::ZonedDateTime, String> {
            let l = d
                .and_then(|d| local.checked_add_signed(d))
                .ok_or_else(out_of_range)?;
            Ok(from_local(l))
        };
        let shift_utc = |d: Option<Duration>| -> Result<crate::dates::ZonedDateTime, String> {
            let utc = d
                .and_then(|d| t.utc.checked_add_signed(d))
                .ok_or_else(out_of_range)?;
            Ok(crate::dates::ZonedDateTime {
                utc,
                zone: t.zone.clone(),
            })
        };
        t = match unit {
            'y' => from_local(months(n.checked_mul(12))?),
            'M' => from_local(months(Some(n))?),
            'w' => shift_local(Duration::try_weeks(n))?,
            'd' => shift_local(Duration::try_days(n))?,
            'h' | 'H' => shift_utc(Duration::try_hours(n))?,
            'm' => shift_utc(Duration::try_minutes(n))?,
            's' => shift_utc(Duration::try_seconds(n))?,
            _ => return Err(format!("unit [{unit}] not supported for date math [{ops}]")),
        };
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::resolve_index_name;
    use crate::processors::testing::{bad_config, fails, pipeline};
    use crate::value::Value;

    #[test]
    fn resolves_date_math_index_names() {
        // 2016-04-22T16:32:14.968Z
        let now = 1_461_342_734_968;
        let cases: &[(&str, &str)] = &[
            (
                "<events-{2016-04-22||/d{yyyy-MM-dd|UTC}}>",
                "events-2016-04-22",
            ),
            ("<logs-{2016-04-22||/M{yyyy-MM-dd|UTC}}>", "logs-2016-04-01"),
            ("<w-{2016-04-22||/w{yyyy-MM-dd|UTC}}>", "w-2016-04-18"),
            ("<{2016.04.22||/y{yyyy.MM.dd|+01:00}}-x>", "2016.01.01-x"),
            ("<a-{now/d}>", "a-2016.04.22"),
            ("<a-{now-1d/d{yyyy-MM-dd}}>", "a-2016-04-21"),
            ("<a-{now+1M{yyyy-MM}}>", "a-2016-05"),
            ("<a\\{b-{now{yyyy}}>", "a{b-2016"),
            ("plain", "plain"),
        ];
        for (expr, want) in cases {
            assert_eq!(
                resolve_index_name(expr, now).as_deref(),
                Ok(*want),
                "{expr}"
            );
        }
        assert!(resolve_index_name("<a-{now/q}>", now).is_err());
        assert!(resolve_index_name("<a-{now>", now).is_err());
        // Amounts past chrono's range are errors, not overflow panics.
        for expr in [
            "<a-{now+9999999999999d}>",
            "<a-{now-9999999999999w}>",
            "<a-{now+9223372036854775807y}>",
            "<a-{now+99999999999M}>",
            "<a-{now+9223372036854775807s}>",
            "<a-{now+9223372036854775807h}>",
        ] {
            let err = resolve_index_name(expr, now).unwrap_err();
            assert!(err.ends_with("]. date out of range"), "{expr}: {err}");
        }
    }

    /// Runs the processor and returns the `_index` it set.
    fn index(options: &str, doc: &str) -> Result<String, String> {
        use crate::document::IngestDocument;
        use crate::pipeline::{Env, PipelineSet};
        let p = pipeline("date_index_name", options)?;
        let Ok(Value::Map(m)) = Value::from_json_str(doc) else {
            return Err("bad doc".into());
        };
        let mut d = IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
        let set = PipelineSet::new();
        p.execute(&mut d, &mut Env::new(&set))
            .map_err(|e| e.reason)?;
        Ok(d.ctx
            .get("_index")
            .map(Value::to_java_string)
            .unwrap_or_default())
    }

    #[test]
    fn builds_date_math_names() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"field":"date","index_name_prefix":"events-","date_rounding":"d"}"#,
                r#"{"date":"2016-04-22T16:32:14.968Z"}"#,
                "<events-{2016-04-22||/d{yyyy-MM-dd|UTC}}>",
            ),
            (
                r#"{"field":"date","date_rounding":"M","date_formats":["UNIX_MS"],"index_name_format":"yyyy-MM","timezone":"Europe/Amsterdam"}"#,
                r#"{"date":1000}"#,
                "<{1970-01||/M{yyyy-MM|Europe/Amsterdam}}>",
            ),
            (
                r#"{"field":"date","date_rounding":"{{r}}","index_name_prefix":"{{p}}-","date_formats":["yyyy-MM-dd","ISO8601"],"timezone":"+01:00"}"#,
                r#"{"date":"2020-12-31T23:30:00Z","r":"y","p":"logs"}"#,
                "<logs-{2021-01-01||/y{yyyy-MM-dd|+01:00}}>",
            ),
        ];
        for (opts, doc, want) in cases {
            assert_eq!(index(opts, doc).as_deref(), Ok(*want), "{opts}");
        }
    }

    #[test]
    fn errors() {
        fails(
            "date_index_name",
            r#"{"field":"date","date_rounding":"d"}"#,
            r#"{"date":"nope"}"#,
            "unable to parse date [nope]",
        );
        fails(
            "date_index_name",
            r#"{"field":"date","date_rounding":"d"}"#,
            "{}",
            "field [date] not present as part of path [date]",
        );
        bad_config(
            "date_index_name",
            r#"{"field":"date"}"#,
            "[date_rounding] required property is missing",
        );
        bad_config(
            "date_index_name",
            r#"{"date_rounding":"d"}"#,
            "[field] required property is missing",
        );
        bad_config(
            "date_index_name",
            r#"{"field":"d","date_rounding":"d","timezone":"Mars/Base"}"#,
            "Mars/Base",
        );
        bad_config(
            "date_index_name",
            r#"{"field":"d","date_rounding":"d","locale":"!!"}"#,
            "Invalid language tag specified: !!",
        );
    }
}
