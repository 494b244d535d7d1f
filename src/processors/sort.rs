//! `sort`: not implemented yet.

use crate::error::ConfigError;
use crate::pipeline::{BuildError, Builder, Config, Processor};

pub(crate) fn build(_: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Err(ConfigError::general("processor [sort] is not implemented yet").into())
}
