//! The line-based prompter: numbered choices and typed confirmations read
//! from stdin, one line per answer. It serves people at a terminal and
//! tests or scripts that feed answers (`REWIND_INTERACTIVE=1`).

use std::io::{BufRead, Write};
use std::sync::Mutex;

use rewind_core::prompt::{Choice, PromptError, Prompter};

pub struct LinePrompter {
    input: Mutex<Box<dyn BufRead + Send>>,
}

impl LinePrompter {
    pub fn stdin() -> Self {
        LinePrompter {
            input: Mutex::new(Box::new(std::io::BufReader::new(std::io::stdin()))),
        }
    }

    fn read_line(&self) -> Result<String, PromptError> {
        let mut line = String::new();
        let mut input = self.input.lock().unwrap_or_else(|e| e.into_inner());
        let n = input.read_line(&mut line)?;
        if n == 0 {
            return Err(PromptError::EndOfInput);
        }
        Ok(line.trim().to_string())
    }
}

impl Prompter for LinePrompter {
    fn choose(
        &self,
        question: &str,
        choices: &[Choice],
        suggested: Option<usize>,
    ) -> Result<usize, PromptError> {
        let mut err = std::io::stderr().lock();
        writeln!(err, "\n{question}")?;
        for (i, choice) in choices.iter().enumerate() {
            let mark = if Some(i) == suggested {
                "  (suggested)"
            } else {
                ""
            };
            writeln!(err, "  {}. {}{mark}", i + 1, choice.label)?;
        }
        drop(err);
        loop {
            eprint!("answer [1-{}]: ", choices.len());
            let _ = std::io::stderr().flush();
            let answer = self.read_line()?;
            if let Ok(n) = answer.parse::<usize>()
                && (1..=choices.len()).contains(&n)
            {
                return Ok(n - 1);
            }
            if let Some(i) = choices
                .iter()
                .position(|c| c.id.eq_ignore_ascii_case(&answer))
            {
                return Ok(i);
            }
            eprintln!(
                "`{answer}` is not one of the answers: type a number from 1 to {}",
                choices.len()
            );
        }
    }

    fn confirm_typed(&self, summary: &str, expected: &str) -> Result<bool, PromptError> {
        eprintln!("\n{summary}");
        eprint!("type `{expected}` to go ahead, anything else to stop: ");
        let _ = std::io::stderr().flush();
        Ok(self.read_line()? == expected)
    }
}
