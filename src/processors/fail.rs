//! `fail`: fails the document with a templated message.

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::template::Template;

#[derive(Debug)]
struct Fail {
    message: Template,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Ok(Box::new(Fail {
        message: cfg.req_template("message")?,
    }))
}

impl Processor for Fail {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        Err(IngestError::new(
            "fail_processor_exception",
            self.message.render(doc),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::fails;

    #[test]
    fn fails_with_message() {
        fails("fail", r#"{"message":"bad {{a}}"}"#, r#"{"a":1}"#, "bad 1");
    }
}
