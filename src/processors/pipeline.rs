//! `pipeline`: runs another pipeline, by (templated) name, on the document.

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::template::Template;

#[derive(Debug)]
struct PipelineCall {
    name: Template,
    ignore_missing_pipeline: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Ok(Box::new(PipelineCall {
        name: cfg.req_template("name")?,
        ignore_missing_pipeline: cfg.bool_or("ignore_missing_pipeline", false)?,
    }))
}

impl Processor for PipelineCall {
    fn execute(&self, doc: &mut IngestDocument, env: &mut Env<'_>) -> Result<Flow, IngestError> {
        let name = self.name.render(doc);
        let Some(p) = env.pipelines.get(&name).cloned() else {
            if self.ignore_missing_pipeline {
                return Ok(Flow::Continue);
            }
            return Err(IngestError::illegal_state(format!(
                "Pipeline processor configured for non-existent pipeline [{name}]"
            )));
        };
        p.execute(doc, env)
    }
}
