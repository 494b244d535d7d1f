//! `drop`: drops the document; nothing is indexed.

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};

#[derive(Debug)]
struct Drop;

pub(crate) fn build(_: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Ok(Box::new(Drop))
}

impl Processor for Drop {
    fn execute(&self, _: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        Ok(Flow::Drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::give;

    #[test]
    fn drops() {
        give("drop", "{}", r#"{"a":1}"#, "null");
    }
}
