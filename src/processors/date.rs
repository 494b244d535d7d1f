//! `date`: parses a field with a list of formats and writes it back in `output_format`
//! (Elasticsearch's DateProcessor / DateFormat).

use crate::dates::{DateFormat, DateFormatter, Zone};
use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::template::Template;
use crate::value::Value;
use std::borrow::Cow;

#[derive(Debug)]
struct Date {
    field: FieldRef,
    target: FieldRef,
    formats: Vec<DateFormat>,
    timezone: Tz,
    locale: Option<Template>,
    output: DateFormatter,
}

/// The `timezone` option: absent (UTC), fixed when it holds no template, or rendered per document.
#[derive(Debug)]
enum Tz {
    Fixed(Result<Zone, String>),
    Dynamic(Template),
}

const DEFAULT_OUTPUT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let target = FieldRef::new("target_field", &cfg.str_or("target_field", "@timestamp")?)?;
    let timezone = match cfg.opt_template("timezone")? {
        None => Tz::Fixed(Ok(Zone::UTC)),
        Some(t) if t.is_dynamic() => Tz::Dynamic(t),
        Some(t) => Tz::Fixed(Zone::of(t.source())),
    };
    let locale = cfg.opt_template("locale")?;
    let formats = match cfg.opt_list("formats")? {
        None => return Err(crate::pipeline::missing("formats").into()),
        Some(l) => l
            .iter()
            .map(|v| DateFormat::compile(&v.to_java_string()))
            .collect(),
    };
    let output_format = cfg.str_or("output_format", DEFAULT_OUTPUT)?;
    let output = DateFormatter::of(&output_format)
        .map_err(|_| ConfigError::general(format!("invalid output format [{output_format}]")))?;
    Ok(Box::new(Date {
        field,
        target,
        formats,
        timezone,
        locale,
        output,
    }))
}

impl Processor for Date {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let field = self.field.resolve(doc)?;
        let value = doc.get(&field)?;
        // A string is parsed where it is; other values as Java prints them.
        let text: Option<Cow<'_, str>> = match value {
            Value::Null => None,
            Value::String(s) => Some(Cow::Borrowed(s)),
            v => Some(Cow::Owned(v.to_java_string())),
        };
        let zone = match &self.timezone {
            Tz::Fixed(z) => Cow::Borrowed(z),
            Tz::Dynamic(t) => Cow::Owned(Zone::of(&t.render(doc))),
        };
        // Elasticsearch reads the locale per document (LocaleUtils.parse): an unknown one fails
        // every format's attempt. Only English / ROOT names are known; a valid locale does not
        // change them.
        let locale = self
            .locale
            .as_ref()
            .map(|l| crate::dates::Locale::parse(&l.render(doc)));
        let year = doc.ingest_year();
        let mut first: Option<crate::dates::Failure> = None;
        let mut parsed = None;
        for format in &self.formats {
            let result = match (&*zone, &locale) {
                (Err(e), _) => Err(crate::dates::Failure {
                    kind: "date_time_exception",
                    reason: e.clone(),
                }),
                (Ok(_), Some(Err(f))) => Err(f.clone()),
                (Ok(z), _) => format.parse(text.as_deref(), z, year),
            };
            match result {
                Ok(t) => {
                    parsed = Some(t);
                    break;
                }
                Err(f) => {
                    first.get_or_insert(f);
                }
            }
        }
        let Some(t) = parsed else {
            let shown = text.as_deref().unwrap_or("null");
            let mut e = IngestError::illegal_argument(format!("unable to parse date [{shown}]"));
            if let Some(f) = first {
                e.caused_by = Some(Box::new(IngestError::new(f.kind, f.reason)));
            }
            return Err(e);
        };
        let out = self.output.format(&t);
        let target = self.target.resolve(doc)?;
        doc.set(&target, Value::String(out))?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give, run};

    #[test]
    fn parses_and_formats() {
        give(
            "date",
            r#"{"field":"d","formats":["dd/MM/yyyy"],"timezone":"Europe/Amsterdam","target_field":"t"}"#,
            r#"{"d":"12/06/2010"}"#,
            r#"{"d":"12/06/2010","t":"2010-06-12T00:00:00.000+02:00"}"#,
        );
        give(
            "date",
            r#"{"field":"d","formats":["yyyy-MM-dd","ISO8601"]}"#,
            r#"{"d":"2024-08-05T15:41:18.411017Z"}"#,
            r#"{"d":"2024-08-05T15:41:18.411017Z","@timestamp":"2024-08-05T15:41:18.411Z"}"#,
        );
        give(
            "date",
            r#"{"field":"d","formats":["UNIX_MS"],"output_format":"yyyy-MM-dd"}"#,
            r#"{"d":1722872478123}"#,
            r#"{"d":1722872478123,"@timestamp":"2024-08-05"}"#,
        );
        // A Double is parsed from its Java toString.
        give(
            "date",
            r#"{"field":"d","formats":["UNIX"]}"#,
            r#"{"d":1.5E9}"#,
            r#"{"d":1.5E9,"@timestamp":"2017-07-14T02:40:00.000Z"}"#,
        );
        give(
            "date",
            r#"{"field":"d","formats":["ISO8601"],"timezone":"{{tz}}"}"#,
            r#"{"d":"2024-08-05T15:41:18","tz":"America/New_York"}"#,
            r#"{"d":"2024-08-05T15:41:18","tz":"America/New_York","@timestamp":"2024-08-05T15:41:18.000-04:00"}"#,
        );
        // Year-less dates take the year of _ingest.timestamp (2024 in the test helper).
        give(
            "date",
            r#"{"field":"d","formats":["MMM d HH:mm:ss"],"locale":"en"}"#,
            r#"{"d":"Aug 5 15:41:18"}"#,
            r#"{"d":"Aug 5 15:41:18","@timestamp":"2024-08-05T15:41:18.000Z"}"#,
        );
    }

    #[test]
    fn failures() {
        fails(
            "date",
            r#"{"field":"d","formats":["ISO8601"]}"#,
            r#"{"d":"nope"}"#,
            "unable to parse date [nope]",
        );
        fails(
            "date",
            r#"{"field":"d","formats":["ISO8601"]}"#,
            r#"{"d":null}"#,
            "unable to parse date [null]",
        );
        fails(
            "date",
            r#"{"field":"d","formats":["ISO8601"]}"#,
            "{}",
            "field [d] not present as part of path [d]",
        );
        fails(
            "date",
            r#"{"field":"d","formats":["ISO8601"],"timezone":"{{tz}}"}"#,
            r#"{"d":"2024-08-05","tz":"Nowhere/Land"}"#,
            "unable to parse date [2024-08-05]",
        );
        fails(
            "date",
            r#"{"field":"d","formats":["ISO_INSTANT"]}"#,
            r#"{"d":"2024-08-05T00:00:00Z"}"#,
            "unable to parse date [2024-08-05T00:00:00Z]",
        );
        assert!(
            run(
                "date",
                r#"{"field":"d","formats":["UNIX"]}"#,
                r#"{"d":"x"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn caused_by_is_the_first_failure() {
        use crate::document::IngestDocument;
        use crate::pipeline::{Env, PipelineSet};
        use crate::value::Value;
        let p = crate::processors::testing::pipeline(
            "date",
            r#"{"field":"d","formats":["UNIX","yyyy"]}"#,
        )
        .unwrap();
        let Value::Map(m) = Value::from_json_str(r#"{"d":"x"}"#).unwrap() else {
            panic!()
        };
        let mut d = IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
        let set = PipelineSet::new();
        let e = p.execute(&mut d, &mut Env::new(&set)).unwrap_err();
        let cause = e.caused_by.expect("caused_by");
        assert_eq!(
            (cause.kind.as_str(), cause.reason.as_str()),
            ("number_format_exception", "For input string: \"x\"")
        );
    }

    #[test]
    fn config_errors() {
        bad_config(
            "date",
            r#"{"field":"d"}"#,
            "[formats] required property is missing",
        );
        bad_config(
            "date",
            r#"{"field":"d","formats":"ISO8601"}"#,
            "[formats] property isn't a list, but of type [java.lang.String]",
        );
        bad_config(
            "date",
            r#"{"formats":["ISO8601"]}"#,
            "[field] required property is missing",
        );
        bad_config(
            "date",
            r#"{"field":"d","formats":["ISO8601"],"output_format":"yyyy-MM-dd HHH"}"#,
            "invalid output format [yyyy-MM-dd HHH]",
        );
    }
}
