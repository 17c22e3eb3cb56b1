//! The line-based prompter: numbered choices and typed confirmations read
//! from stdin, one line per answer. It serves people at a terminal and
//! tests or scripts that feed answers (`REWIND_INTERACTIVE=1`), and speaks
//! the language of the command that asks (`rewind guide --lang fr`).

use std::io::BufRead;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use rewind_core::i18n::Lang;
use rewind_core::interrupt::Interrupt;
use rewind_core::prompt::{Choice, PromptError, Prompter};

use crate::output;

/// How often a wait for an answer looks at Ctrl-C.
const CTRL_C_CHECK: Duration = Duration::from_millis(50);

/// One line read from stdin: its text, or `None` at the end of input.
type Line = std::io::Result<Option<String>>;

pub struct LinePrompter {
    /// The lines, read by a thread of their own once the first question
    /// is asked, so that waiting for an answer can stop at Ctrl-C.
    lines: Mutex<Option<Receiver<Line>>>,
    interrupt: Interrupt,
    lang: Lang,
}

impl LinePrompter {
    pub fn stdin(lang: Lang, interrupt: Interrupt) -> Self {
        LinePrompter {
            lines: Mutex::new(None),
            interrupt,
            lang,
        }
    }

    fn read_line(&self) -> Result<String, PromptError> {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let lines = lines.get_or_insert_with(|| {
            let (send, receive) = channel();
            std::thread::spawn(move || {
                let mut input = std::io::stdin().lock();
                loop {
                    let mut line = String::new();
                    let read = match input.read_line(&mut line) {
                        Ok(0) => Ok(None),
                        Ok(_) => Ok(Some(line)),
                        Err(e) => Err(e),
                    };
                    let last = !matches!(read, Ok(Some(_)));
                    if send.send(read).is_err() || last {
                        return;
                    }
                }
            });
            receive
        });
        loop {
            if self.interrupt.is_raised() {
                return Err(PromptError::Interrupted);
            }
            match lines.recv_timeout(CTRL_C_CHECK) {
                Ok(Ok(Some(line))) => return Ok(line.trim().to_string()),
                Ok(Ok(None)) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(PromptError::EndOfInput);
                }
                Ok(Err(e)) => return Err(PromptError::Io(e)),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

impl Prompter for LinePrompter {
    fn choose(
        &self,
        question: &str,
        choices: &[Choice],
        suggested: Option<usize>,
    ) -> Result<usize, PromptError> {
        // Questions go through the output layer like every line: shown even
        // with --quiet, neutralised, and a closed stderr stops nothing (the
        // answer comes from stdin).
        let mut text = format!("\n{question}");
        for (i, choice) in choices.iter().enumerate() {
            let mark = if Some(i) == suggested {
                words::suggested(self.lang)
            } else {
                ""
            };
            text.push_str(&format!("\n  {}. {}{mark}", i + 1, choice.label));
        }
        output::stderr(&text, true);
        loop {
            output::stderr(&words::answer(self.lang, choices.len()), false);
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
            errln!(
                "{}",
                words::not_an_answer(self.lang, &answer, choices.len())
            );
        }
    }

    fn confirm_typed(&self, summary: &str, expected: &str) -> Result<bool, PromptError> {
        errln!("\n{summary}");
        output::stderr(&words::confirm(self.lang, expected), false);
        Ok(self.read_line()? == expected)
    }
}

/// The prompter's own words, one function per message with both languages
/// side by side so that neither can be forgotten.
mod words {
    use rewind_core::i18n::Lang;

    /// Appended to the suggested choice's line.
    pub fn suggested(lang: Lang) -> &'static str {
        match lang {
            Lang::En => "  (suggested)",
            Lang::Fr => "  (suggérée)",
        }
    }

    pub fn answer(lang: Lang, count: usize) -> String {
        match lang {
            Lang::En => format!("answer [1-{count}]: "),
            Lang::Fr => format!("réponse [1-{count}] : "),
        }
    }

    pub fn not_an_answer(lang: Lang, answer: &str, count: usize) -> String {
        match lang {
            Lang::En => {
                format!("`{answer}` is not one of the answers: type a number from 1 to {count}")
            }
            Lang::Fr => {
                format!(
                    "`{answer}` ne fait pas partie des réponses : tapez un nombre de 1 à {count}"
                )
            }
        }
    }

    pub fn confirm(lang: Lang, expected: &str) -> String {
        match lang {
            Lang::En => format!("type `{expected}` to go ahead, anything else to stop: "),
            Lang::Fr => format!("tapez `{expected}` pour continuer, autre chose pour arrêter : "),
        }
    }
}
