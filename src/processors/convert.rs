//! `convert`: converts a field (or each element of a list) to another Java type
//! (Elasticsearch's ConvertProcessor, with Java's number parsing).

use crate::dates::java_num;
use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Ip,
    String,
    Auto,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Integer => "integer",
            Type::Long => "long",
            Type::Float => "float",
            Type::Double => "double",
            Type::Boolean => "boolean",
            Type::Ip => "ip",
            Type::String => "string",
            Type::Auto => "auto",
        }
    }

    /// ES `Type.fromString`: the name, case-insensitively.
    fn parse(s: &str) -> Option<Type> {
        Some(match s.to_lowercase().as_str() {
            "integer" => Type::Integer,
            "long" => Type::Long,
            "float" => Type::Float,
            "double" => Type::Double,
            "boolean" => Type::Boolean,
            "ip" => Type::Ip,
            "string" => Type::String,
            "auto" => Type::Auto,
            _ => return None,
        })
    }

    /// Converts one value as `Type.convert` does.
    fn convert(self, v: &Value) -> Result<Value, IngestError> {
        // Java's `toString()`; a String is read in place.
        let text = || match v {
            Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            other => std::borrow::Cow::Owned(other.to_java_string()),
        };
        let unable = |t: &str| {
            IngestError::illegal_argument(format!(
                "unable to convert [{}] to {t}",
                v.to_java_string()
            ))
        };
        Ok(match self {
            Type::Integer => {
                let s = text();
                let n = if s.starts_with("0x") || s.starts_with("-0x") {
                    java_num::decode_int(&s)
                } else {
                    java_num::parse_int(&s)
                };
                Value::Int(n.ok_or_else(|| unable("integer"))?)
            }
            Type::Long => {
                let s = text();
                let n = if s.starts_with("0x") || s.starts_with("-0x") {
                    java_num::decode_long(&s)
                } else {
                    java_num::parse_long(&s)
                };
                Value::Long(n.ok_or_else(|| unable("long"))?)
            }
            Type::Float => {
                Value::Float(java_num::parse_float(&text()).ok_or_else(|| unable("float"))?)
            }
            Type::Double => {
                Value::Double(java_num::parse_double(&text()).ok_or_else(|| unable("double"))?)
            }
            Type::Boolean => {
                let s = text();
                if s.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if s.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else {
                    return Err(IngestError::illegal_argument(format!(
                        "[{s}] is not a boolean value, cannot convert to boolean"
                    )));
                }
            }
            Type::Ip => {
                let Value::String(s) = v else {
                    return Err(IngestError::new(
                        "class_cast_exception",
                        format!(
                            "class {t} cannot be cast to class java.lang.String ({t} and java.lang.String are in module java.base of loader 'bootstrap')",
                            t = v.java_type()
                        ),
                    ));
                };
                if s.parse::<std::net::IpAddr>().is_err() {
                    return Err(IngestError::illegal_argument(format!(
                        "'{s}' is not an IP string literal."
                    )));
                }
                v.clone()
            }
            Type::String => Value::String(text().into_owned()),
            Type::Auto => {
                if !matches!(v, Value::String(_)) {
                    return Ok(v.clone());
                }
                for t in [
                    Type::Boolean,
                    Type::Integer,
                    Type::Long,
                    Type::Float,
                    Type::Double,
                ] {
                    if let Ok(x) = t.convert(v) {
                        return Ok(x);
                    }
                }
                v.clone()
            }
        })
    }
}

#[derive(Debug)]
struct Convert {
    field: FieldRef,
    target: Option<FieldRef>,
    to: Type,
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let type_name = cfg.req_str("type")?;
    let target = cfg.opt_field("target_field")?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let to = Type::parse(&type_name).ok_or_else(|| {
        ConfigError::property(
            "type",
            format!("type [{type_name}] not supported, cannot convert field."),
        )
    })?;
    Ok(Box::new(Convert {
        field,
        target,
        to,
        ignore_missing,
    }))
}

impl Convert {
    /// The converted value of the field at `path` (`None`: a missing field is skipped).
    fn converted(
        &self,
        path: &FieldPath,
        value: Option<&Value>,
    ) -> Result<Option<Value>, IngestError> {
        Ok(Some(match value {
            None | Some(Value::Null) if self.ignore_missing => return Ok(None),
            None | Some(Value::Null) => {
                return Err(IngestError::illegal_argument(format!(
                    "Field [{path}] is null, cannot be converted to type [{}]",
                    self.to.name()
                )));
            }
            Some(Value::List(items)) => Value::List(
                items
                    .iter()
                    .map(|v| self.to.convert(v))
                    .collect::<Result<_, _>>()?,
            ),
            Some(v) => self.to.convert(v)?,
        }))
    }
}

impl Processor for Convert {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        super::rewrite_field(
            doc,
            path,
            self.target.as_ref(),
            self.ignore_missing,
            |field, v| self.converted(field, v),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give, run};

    fn conv(ty: &str, input: &str, output: &str) {
        give(
            "convert",
            &format!(r#"{{"field":"a","type":"{ty}"}}"#),
            &format!(r#"{{"a":{input}}}"#),
            &format!(r#"{{"a":{output}}}"#),
        );
    }

    fn conv_fails(ty: &str, input: &str, msg: &str) {
        fails(
            "convert",
            &format!(r#"{{"field":"a","type":"{ty}"}}"#),
            &format!(r#"{{"a":{input}}}"#),
            msg,
        );
    }

    #[test]
    fn converts() {
        conv("integer", r#""12""#, "12");
        conv("integer", r#""-0x1F""#, "-31");
        conv("integer", r#"["1","2"]"#, "[1,2]");
        conv("long", r#""2147483648""#, "2147483648");
        conv("long", "1", "1");
        conv("float", r#"" 1.5f ""#, "1.5");
        conv("double", r#""1e3""#, "1000.0");
        conv("boolean", r#""TRUE""#, "true");
        conv("string", "1.0E7", r#""1.0E7""#);
        conv("string", "[1,true]", r#"["1","true"]"#);
        conv("ip", r#""::1""#, r#""::1""#);
        conv("auto", r#""true""#, "true");
        conv("auto", r#""12""#, "12");
        conv("auto", r#""9999999999""#, "9999999999");
        conv("auto", r#""x1""#, r#""x1""#);
        conv("auto", "3", "3");
        give(
            "convert",
            r#"{"field":"a","type":"integer","target_field":"b"}"#,
            r#"{"a":"1"}"#,
            r#"{"a":"1","b":1}"#,
        );
        give(
            "convert",
            r#"{"field":"a","type":"integer","ignore_missing":true}"#,
            "{}",
            "{}",
        );
    }

    #[test]
    fn java_number_types() {
        // Float stays a java.lang.Float; auto turns "1.5" into a Float too.
        let out = run(
            "convert",
            r#"{"field":"a","type":"float"}"#,
            r#"{"a":"0.1"}"#,
        )
        .unwrap();
        assert_eq!(out, r#"{"a":0.1}"#);
        let out = run(
            "convert",
            r#"{"field":"a","type":"auto"}"#,
            r#"{"a":"1.5"}"#,
        )
        .unwrap();
        assert_eq!(out, r#"{"a":1.5}"#);
        let out = run(
            "convert",
            r#"{"field":"a","type":"double"}"#,
            r#"{"a":"1"}"#,
        )
        .unwrap();
        assert_eq!(out, r#"{"a":1.0}"#);
    }

    #[test]
    fn errors() {
        conv_fails("integer", r#""1.0""#, "unable to convert [1.0] to integer");
        conv_fails("integer", "3.0", "unable to convert [3.0] to integer");
        conv_fails(
            "integer",
            r#""2147483648""#,
            "unable to convert [2147483648] to integer",
        );
        conv_fails("long", r#""x""#, "unable to convert [x] to long");
        conv_fails("float", r#""1,5""#, "unable to convert [1,5] to float");
        conv_fails("double", r#""""#, "unable to convert [] to double");
        conv_fails(
            "boolean",
            r#""yes""#,
            "[yes] is not a boolean value, cannot convert to boolean",
        );
        conv_fails("ip", r#""1.2.3""#, "'1.2.3' is not an IP string literal.");
        conv_fails(
            "integer",
            "null",
            "Field [a] is null, cannot be converted to type [integer]",
        );
        fails(
            "convert",
            r#"{"field":"a","type":"integer"}"#,
            "{}",
            "field [a] not present as part of path [a]",
        );
        bad_config(
            "convert",
            r#"{"field":"a","type":"number"}"#,
            "[type] type [number] not supported, cannot convert field.",
        );
        bad_config(
            "convert",
            r#"{"field":"a"}"#,
            "[type] required property is missing",
        );
    }
}
