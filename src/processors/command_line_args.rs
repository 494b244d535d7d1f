//! `command_line_args`: splits a command line into its arguments with bash, Windows cmd or
//! PowerShell quoting rules (Elasticsearch's CommandLineParserProcessor and CommandLineParser).

use super::uri_parts::{LazyPath, get_string, lazy_path, path_of};
use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::Value;

/// The quoting rules to split with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shell {
    /// POSIX / bash (also `sh`).
    Bash,
    /// Windows `CommandLineToArgvW`.
    Cmd,
    /// PowerShell.
    Pwsh,
}

impl Shell {
    /// The shell for a `shell` option value (case-insensitive), or Elasticsearch's error.
    pub(crate) fn from_name(name: &str) -> Result<Shell, String> {
        match name.to_lowercase().as_str() {
            "bash" | "sh" => Ok(Shell::Bash),
            "cmd" => Ok(Shell::Cmd),
            "powershell" => Ok(Shell::Pwsh),
            _ => Err(format!(
                "unsupported shell type [{name}]; supported types are [bash], [cmd], and [powershell]"
            )),
        }
    }
}

#[derive(Debug)]
struct CommandLineArgs {
    field: LazyPath,
    field_name: String,
    target: LazyPath,
    shell: Shell,
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let target = cfg.str_or("target_field", &field)?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let shell = cfg.str_or("shell", "bash")?;
    let shell = Shell::from_name(&shell).map_err(|e| ConfigError::property("shell", e))?;
    Ok(Box::new(CommandLineArgs {
        field: lazy_path(&field),
        field_name: field,
        target: lazy_path(&target),
        shell,
        ignore_missing,
    }))
}

impl Processor for CommandLineArgs {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let Some(line) = get_string(doc, path_of(&self.field)?, self.ignore_missing)? else {
            if self.ignore_missing {
                return Ok(Flow::Continue);
            }
            return Err(IngestError::illegal_argument(format!(
                "field [{}] is null, cannot parse command line.",
                self.field_name
            )));
        };
        let args = parse(&line, self.shell)
            .into_iter()
            .map(Value::String)
            .collect();
        doc.set(path_of(&self.target)?, Value::List(args))?;
        Ok(Flow::Continue)
    }
}

/// Splits a command line into arguments; Painless' bridge may use it too.
pub(crate) fn parse(line: &str, shell: Shell) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    match shell {
        Shell::Bash => parse_bash(&chars),
        Shell::Cmd => parse_cmd(&chars),
        Shell::Pwsh => parse_powershell(&chars),
    }
}

/// Collects arguments; an argument exists once any quote or character was seen.
#[derive(Default)]
struct Args {
    args: Vec<String>,
    current: String,
    in_arg: bool,
}

impl Args {
    fn push(&mut self, c: char) {
        self.in_arg = true;
        self.current.push(c);
    }

    fn end(&mut self) {
        if self.in_arg {
            self.args.push(std::mem::take(&mut self.current));
            self.in_arg = false;
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.end();
        self.args
    }
}

fn parse_bash(s: &[char]) -> Vec<String> {
    let mut a = Args::default();
    let mut i = 0;
    while i < s.len() {
        // i < s.len() (loop condition).
        match s[i] {
            '\\' => {
                // An unquoted backslash escapes the next char; a trailing one is dropped.
                if i + 1 < s.len() {
                    i += 1;
                    // i + 1 < s.len() was checked before the increment.
                    a.push(s[i]);
                }
            }
            '\'' => {
                a.in_arg = true;
                i += 1;
                // i < s.len() is tested first on each iteration.
                while i < s.len() && s[i] != '\'' {
                    a.push(s[i]);
                    i += 1;
                }
            }
            '"' => {
                a.in_arg = true;
                i += 1;
                // i < s.len() is tested first on each iteration.
                while i < s.len() && s[i] != '"' {
                    if s[i] == '\\'
                        && let Some(&next) = s.get(i + 1)
                        && matches!(next, '"' | '$' | '`' | '\\' | '!')
                    {
                        a.push(next);
                        i += 2;
                        continue;
                    }
                    // i < s.len() (loop condition).
                    a.push(s[i]);
                    i += 1;
                }
            }
            ' ' | '\t' => a.end(),
            c => a.push(c),
        }
        i += 1;
    }
    a.finish()
}

fn parse_cmd(s: &[char]) -> Vec<String> {
    let mut a = Args::default();
    let mut in_quotes = false;
    let mut i = 0;
    while i < s.len() {
        // i < s.len() (loop condition).
        match s[i] {
            '\\' => {
                let start = i;
                // i < s.len() is tested first on each iteration.
                while i < s.len() && s[i] == '\\' {
                    i += 1;
                }
                let count = i - start;
                a.in_arg = true;
                if s.get(i) == Some(&'"') {
                    // 2n backslashes + quote: n backslashes, the quote toggles quoting;
                    // 2n+1: n backslashes and a literal quote.
                    a.current.extend(std::iter::repeat_n('\\', count / 2));
                    if count % 2 == 1 {
                        a.current.push('"');
                        i += 1;
                    }
                } else {
                    a.current.extend(std::iter::repeat_n('\\', count));
                }
            }
            '"' => {
                a.in_arg = true;
                if in_quotes && s.get(i + 1) == Some(&'"') {
                    a.current.push('"');
                    i += 2;
                } else {
                    in_quotes = !in_quotes;
                    i += 1;
                }
            }
            ' ' | '\t' if !in_quotes => {
                a.end();
                i += 1;
            }
            c => {
                a.push(c);
                i += 1;
            }
        }
    }
    a.finish()
}

/// PowerShell's backtick escapes.
fn powershell_escape(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        '0' => '\0',
        other => other,
    }
}

fn parse_powershell(s: &[char]) -> Vec<String> {
    let mut a = Args::default();
    let mut i = 0;
    while i < s.len() {
        // i < s.len() (loop condition).
        match s[i] {
            '`' if i + 1 < s.len() => {
                i += 1;
                // i + 1 < s.len() is the arm's guard, checked before the increment.
                a.push(powershell_escape(s[i]));
            }
            '\'' => {
                a.in_arg = true;
                i += 1;
                while i < s.len() {
                    // i < s.len() (loop condition).
                    if s[i] == '\'' {
                        if s.get(i + 1) == Some(&'\'') {
                            a.push('\'');
                            i += 2;
                        } else {
                            break;
                        }
                    } else {
                        // i < s.len() (loop condition).
                        a.push(s[i]);
                        i += 1;
                    }
                }
            }
            '"' => {
                a.in_arg = true;
                i += 1;
                while i < s.len() {
                    // i < s.len() (loop condition).
                    match s[i] {
                        '"' if s.get(i + 1) == Some(&'"') => {
                            a.push('"');
                            i += 2;
                        }
                        '"' => break,
                        '`' if i + 1 < s.len() => {
                            // i + 1 < s.len() is the arm's guard.
                            a.push(powershell_escape(s[i + 1]));
                            i += 2;
                        }
                        c => {
                            a.push(c);
                            i += 1;
                        }
                    }
                }
            }
            ' ' | '\t' => a.end(),
            c => a.push(c),
        }
        i += 1;
    }
    a.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn splits_like_elasticsearch() {
        let cases: &[(Shell, &str, &[&str])] = &[
            (
                Shell::Bash,
                "ls -la '/tmp/my dir'",
                &["ls", "-la", "/tmp/my dir"],
            ),
            (
                Shell::Bash,
                r#"echo "hello world""#,
                &["echo", "hello world"],
            ),
            (
                Shell::Bash,
                r#"a\ b "x\"y\n" '' end\"#,
                &["a b", "x\"y\\n", "", "end"],
            ),
            (Shell::Bash, "  a\t\tb  ", &["a", "b"]),
            (Shell::Bash, "'unterminated x", &["unterminated x"]),
            (
                Shell::Cmd,
                r#""C:\Program Files\app.exe" --flag "hello world""#,
                &[r"C:\Program Files\app.exe", "--flag", "hello world"],
            ),
            (
                Shell::Cmd,
                r#"a\\\"b c\\"d e" f\\g"#,
                &[r#"a\"b"#, r"c\d e", r"f\\g"],
            ),
            (Shell::Cmd, r#""a""b" """#, &[r#"a"b"#, ""]),
            (
                Shell::Pwsh,
                "Write-Host 'it''s working'",
                &["Write-Host", "it's working"],
            ),
            (
                Shell::Pwsh,
                r#"a`tb "x`ny""z" end`"#,
                &["a\tb", "x\ny\"z", "end`"],
            ),
            (Shell::Bash, "", &[]),
        ];
        for (shell, line, want) in cases {
            assert_eq!(parse(line, *shell), *want, "{shell:?} {line}");
        }
    }

    #[test]
    fn processor() {
        give(
            "command_line_args",
            r#"{"field":"c","target_field":"args","shell":"CMD"}"#,
            r#"{"c":"a \"b c\""}"#,
            r#"{"c":"a \"b c\"","args":["a","b c"]}"#,
        );
        give(
            "command_line_args",
            r#"{"field":"c"}"#,
            r#"{"c":"x y"}"#,
            r#"{"c":["x","y"]}"#,
        );
        give(
            "command_line_args",
            r#"{"field":"c","ignore_missing":true}"#,
            "{}",
            "{}",
        );
        fails(
            "command_line_args",
            r#"{"field":"c"}"#,
            "{}",
            "field [c] not present as part of path [c]",
        );
        fails(
            "command_line_args",
            r#"{"field":"c"}"#,
            r#"{"c":null}"#,
            "field [c] is null, cannot parse command line.",
        );
        bad_config(
            "command_line_args",
            r#"{"field":"c","shell":"zsh"}"#,
            "[shell] unsupported shell type [zsh]; supported types are [bash], [cmd], and [powershell]",
        );
    }
}
