//! `terminate`: stops the current pipeline; callers and the document go on.

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};

#[derive(Debug)]
struct Terminate;

pub(crate) fn build(_: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Ok(Box::new(Terminate))
}

impl Processor for Terminate {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        doc.terminated = true;
        Ok(Flow::Continue)
    }
}
