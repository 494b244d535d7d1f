//! `script`: runs a Painless script over the document's ctx (source and metadata).

use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::painless::Script;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};

#[derive(Debug)]
struct ScriptProcessor {
    script: Script,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let lang = cfg.opt_str("lang")?;
    if let Some(lang) = &lang
        && lang != "painless"
    {
        return Err(ConfigError::general(format!("script_lang not supported [{lang}]")).into());
    }
    let source = cfg.opt_str("source")?;
    let id = cfg.opt_str("id")?;
    let params = cfg.opt_map("params")?.unwrap_or_default();
    let _ = cfg.opt_map("options")?;
    let source = match (source, id) {
        (Some(_), Some(_)) => {
            return Err(
                ConfigError::general("Only one of [id] or [source] may be configured").into(),
            );
        }
        (None, Some(id)) => {
            return Err(ConfigError::property(
                "id",
                format!("stored script [{id}] is not available offline; inline it with [source]"),
            )
            .into());
        }
        (None, None) => {
            return Err(ConfigError::general("Need [id] or [source] for script processor").into());
        }
        (Some(s), None) => s,
    };
    let script =
        Script::compile(&source, params).map_err(|e| ConfigError::property("source", e))?;
    Ok(Box::new(ScriptProcessor { script }))
}

impl Processor for ScriptProcessor {
    fn execute(&self, doc: &mut IngestDocument, env: &mut Env<'_>) -> Result<Flow, IngestError> {
        let pipeline = env.stack.last().map(|s| s.to_string()).unwrap_or_default();
        self.script.execute(doc, &pipeline)?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn runs_scripts() {
        give(
            "script",
            r#"{"source":"ctx.b = ctx.a * 2"}"#,
            r#"{"a":2}"#,
            r#"{"a":2,"b":4}"#,
        );
        give(
            "script",
            r#"{"lang":"painless","source":"ctx.x = params.p","params":{"p":"v"}}"#,
            "{}",
            r#"{"x":"v"}"#,
        );
        give(
            "script",
            r#"{"source":"ctx.remove('a')"}"#,
            r#"{"a":1,"b":2}"#,
            r#"{"b":2}"#,
        );
    }

    #[test]
    fn runtime_errors_report_the_root_cause() {
        fails(
            "script",
            r#"{"source":"ctx.a.b.c = 1"}"#,
            "{}",
            "cannot access method/field [b] from a null def reference",
        );
        fails(
            "script",
            r#"{"source":"throw new IllegalArgumentException('boom')"}"#,
            "{}",
            "boom",
        );
    }

    #[test]
    fn config_errors() {
        bad_config("script", r#"{"id":"x"}"#, "not available offline");
        bad_config(
            "script",
            r#"{"source":"x = 1"}"#,
            "cannot resolve symbol [x]",
        );
        bad_config(
            "script",
            r#"{"source":"ctx.a = ","lang":"painless"}"#,
            "line 1",
        );
        bad_config(
            "script",
            r#"{"source":"1","lang":"mustache"}"#,
            "script_lang not supported",
        );
        bad_config("script", r#"{}"#, "Need [id] or [source]");
    }
}
