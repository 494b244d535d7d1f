//! `redact`: replaces text matched by grok patterns with `<NAME>` (Elasticsearch's RedactProcessor).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::grok::{Grok, invalid_patterns, read_bank, read_patterns};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;
use onig::Region;

#[derive(Debug)]
struct Redact {
    field: FieldRef,
    groks: Vec<Grok>,
    ignore_missing: bool,
    prefix: String,
    suffix: String,
    trace_redact: bool,
    is_redacted_key: FieldPath,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let patterns = read_patterns(cfg)?;
    let ignore_missing = cfg.bool_or("ignore_missing", true)?;
    // pipette emulates a licensed cluster: the license check never fails.
    let _skip_if_unlicensed = cfg.bool_or("skip_if_unlicensed", false)?;
    let prefix = cfg.str_or("prefix", "<")?;
    let suffix = cfg.str_or("suffix", ">")?;
    let trace_redact = cfg.bool_or("trace_redact", false)?;
    // Redact always uses the ECS v1 bank.
    let bank = read_bank(cfg, &patterns, true)?;
    let groks = patterns
        .iter()
        .map(|p| Grok::compile(&bank, p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| invalid_patterns(&patterns, m))?;
    Ok(Box::new(Redact {
        field,
        groks,
        ignore_missing,
        prefix,
        suffix,
        trace_redact,
        is_redacted_key: FieldPath::parse("_ingest._redact._is_redacted")
            .map_err(|e| ConfigError::general(e.reason))?,
    }))
}

/// A matched byte range and the name it is replaced with.
#[derive(Debug, Clone)]
struct Replacement<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

fn timed_out(cause: Option<IngestError>) -> IngestError {
    let mut e = IngestError::new("timeout_exception", "Grok pattern matching timed out");
    e.caused_by = cause.map(Box::new);
    e
}

impl Redact {
    /// Elasticsearch's `matchRedact`: every match of every pattern, overlaps merged.
    fn redact(&self, text: &str) -> Result<String, IngestError> {
        let mut found: Vec<Replacement<'_>> = Vec::new();
        let mut region = Region::new();
        for grok in &self.groks {
            // Elasticsearch takes the first capture's name; a pattern without one fails there.
            let Some(first) = grok.capture_configs().first() else {
                return Err(timed_out(None));
            };
            let name = first.name.as_str();
            let mut offset = 0;
            loop {
                let Some((start, end)) = grok
                    .search(text, offset, &mut region)
                    .map_err(|e| timed_out(Some(e)))?
                else {
                    break;
                };
                found.push(Replacement { start, end, name });
                offset = if end == offset { offset + 1 } else { end };
                if offset >= text.len() {
                    break;
                }
            }
        }
        if found.is_empty() {
            return Ok(text.to_string());
        }
        let merged = merge_overlapping(found);
        let bytes = text.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut read = 0;
        for r in &merged {
            // Elasticsearch's merge can leave a region starting inside the previous one; its
            // array copy then throws, which surfaces as the timeout error.
            let Some(between) = bytes.get(read..r.start) else {
                return Err(timed_out(None));
            };
            out.extend_from_slice(between);
            out.extend_from_slice(self.prefix.as_bytes());
            out.extend_from_slice(r.name.as_bytes());
            out.extend_from_slice(self.suffix.as_bytes());
            read = r.end;
        }
        out.extend_from_slice(bytes.get(read..).unwrap_or_default());
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Elasticsearch's `mergeOverlappingReplacements`: sorted by start; a run of overlapping
/// regions becomes one region named after its longest member.
fn merge_overlapping(mut reps: Vec<Replacement<'_>>) -> Vec<Replacement<'_>> {
    if reps.len() == 1 {
        return reps;
    }
    reps.sort_by_key(|r| r.start);
    let mut result = Vec::new();
    let mut current = 0;
    let mut next = 1;
    while current < reps.len() {
        // current < reps.len() (loop condition); reps[next] only read when next < reps.len().
        let head = &reps[current];
        if next >= reps.len() || head.end < reps[next].start {
            result.push(head.clone());
        } else {
            // As in Elasticsearch, the run continues while the LAST region's end reaches the next start.
            let mut previous_end;
            loop {
                // next < reps.len(): checked before the loop and by its exit test.
                previous_end = reps[next].end;
                next += 1;
                if !(next < reps.len() && previous_end >= reps[next].start) {
                    break;
                }
            }
            // next > current, so run is not empty; longest indexes into it.
            let run = &reps[current..next];
            let mut longest = 0;
            let mut end = run[0].end;
            for (i, r) in run.iter().enumerate().skip(1) {
                if r.end - r.start > run[longest].end - run[longest].start {
                    longest = i;
                }
                end = end.max(r.end);
            }
            result.push(Replacement {
                start: run[0].start,
                end,
                name: run[longest].name,
            });
        }
        current = next;
        next += 1;
    }
    result
}

impl Processor for Redact {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        // A missing field reads as null here: the null check below words both.
        let text = match doc.get_string(&path, true)? {
            Some(s) => s.to_string(),
            None if self.ignore_missing => return Ok(Flow::Continue),
            None => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] is null or missing"
                )));
            }
        };
        let redacted = self.redact(&text)?;
        let changed = redacted != text;
        doc.set(&path, Value::String(redacted))?;
        if self.trace_redact && changed {
            let already = matches!(doc.get_opt(&self.is_redacted_key), Some(Value::Bool(true)));
            if !already {
                doc.set(&self.is_redacted_key, Value::Bool(true))?;
            }
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    const CARD: &str =
        r#""pattern_definitions":{"CREDIT_CARD":"\\d{4}[ -]\\d{4}[ -]\\d{4}[ -]\\d{4}"}"#;

    #[test]
    fn redacts_matches() {
        let opts = format!(
            r#"{{"field":"m","patterns":["%{{EMAILADDRESS:EMAIL}}","%{{IP:IP_ADDRESS}}","%{{CREDIT_CARD:CREDIT_CARD}}"],{CARD}}}"#
        );
        give(
            "redact",
            &opts,
            r#"{"m":"mail a@b.com from 10.0.0.1 and 10.0.0.2, card 1234-5678-1234-5678"}"#,
            r#"{"m":"mail <EMAIL> from <IP_ADDRESS> and <IP_ADDRESS>, card <CREDIT_CARD>"}"#,
        );
        give(
            "redact",
            r#"{"field":"m","patterns":["%{IP:ip}"],"prefix":"*","suffix":"*"}"#,
            r#"{"m":"x 1.2.3.4"}"#,
            r#"{"m":"x *ip*"}"#,
        );
        give(
            "redact",
            r#"{"field":"m","patterns":["%{IP:ip}"]}"#,
            r#"{"m":"nothing"}"#,
            r#"{"m":"nothing"}"#,
        );
        // Overlaps: the longest region names the merged one (the first on a tie).
        let ab = r#""pattern_definitions":{"A":"abc","B":"bcd","C":"bcdx"}"#;
        give(
            "redact",
            &format!(r#"{{"field":"m","patterns":["%{{A:A}}","%{{B:B}}"],{ab}}}"#),
            r#"{"m":"xabcdx"}"#,
            r#"{"m":"x<A>x"}"#,
        );
        give(
            "redact",
            &format!(r#"{{"field":"m","patterns":["%{{A:A}}","%{{C:C}}"],{ab}}}"#),
            r#"{"m":"xabcdx"}"#,
            r#"{"m":"x<C>"}"#,
        );
        give(
            "redact",
            r#"{"field":"m","patterns":["%{IP:ip}"]}"#,
            r#"{"x":1}"#,
            r#"{"x":1}"#,
        );
    }

    #[test]
    fn errors() {
        fails(
            "redact",
            r#"{"field":"to_redact","ignore_missing":false,"patterns":["%{EMAILADDRESS:EMAIL}","%{IP:IP_ADDRESS}"]}"#,
            r#"{"wrong_field":"will error"}"#,
            "field [to_redact] is null or missing",
        );
        fails(
            "redact",
            r#"{"field":"m","patterns":["%{IP:ip}"]}"#,
            r#"{"m":1}"#,
            "field [m] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        // Elasticsearch's merge only follows the last region's end, then its copy fails.
        fails(
            "redact",
            r#"{"field":"m","patterns":["%{WORD:W}","%{EMAILADDRESS:EMAIL}"]}"#,
            r#"{"m":"to a@b.com"}"#,
            "Grok pattern matching timed out",
        );
        bad_config(
            "redact",
            r#"{"field":"m","patterns":[]}"#,
            "[patterns] List of patterns must not be empty",
        );
        bad_config(
            "redact",
            r#"{"field":"m","patterns":["%{NOPE:x}"]}"#,
            "Unable to find pattern [NOPE]",
        );
    }
}
