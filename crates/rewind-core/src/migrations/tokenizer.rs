//! A small SQL tokenizer, just enough to classify migration statements: it
//! knows `--` and nested `/* */` comments, string literals (`'...'` with
//! `''`, `E'...'` with backslash escapes), quoted identifiers, dollar-quoted
//! bodies (`$$...$$`, `$tag$...$tag$`) and splits statements on the `;`
//! that are outside all of those. A `DROP` inside a comment, a string or a
//! function body is therefore never taken for a statement.

/// One token of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A bare word: a keyword or an unquoted identifier, as written.
    Word(String),
    /// A `"quoted identifier"`, without its quotes.
    Quoted(String),
    /// A string literal or a dollar-quoted body (its content never matters
    /// for classification).
    Literal,
    /// A number.
    Number,
    /// Any other single character: `(`, `)`, `,`, `.`, `=`...
    Punct(char),
}

impl Token {
    /// Whether this is the bare word `keyword` (case-insensitive).
    pub fn is(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// The identifier this token names, if it is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

/// One statement of a SQL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The 1-based line its first token is on.
    pub line: usize,
    /// Its source text with whitespace collapsed, for a person to read.
    pub text: String,
    pub tokens: Vec<Token>,
}

/// Splits `sql` into statements. Statements made only of comments are
/// dropped; an unterminated string or comment ends the file (the statement
/// is kept as far as it goes, so nothing after it is missed silently).
pub fn statements(sql: &str) -> Vec<Statement> {
    let mut lexer = Lexer {
        chars: sql.char_indices().collect(),
        pos: 0,
        line: 1,
        token_line: 1,
    };
    let mut out = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    let mut end = 0;
    while let Some((offset, token)) = lexer.next_token() {
        if token == Token::Punct(';') {
            if let Some((line, from)) = start.take() {
                out.push(statement(
                    sql,
                    line,
                    from,
                    end,
                    std::mem::take(&mut current),
                ));
            }
            continue;
        }
        if start.is_none() {
            start = Some((lexer.token_line, offset));
        }
        current.push(token);
        end = lexer.byte_offset();
    }
    if let Some((line, from)) = start {
        out.push(statement(sql, line, from, end, current));
    }
    out
}

fn statement(sql: &str, line: usize, from: usize, to: usize, tokens: Vec<Token>) -> Statement {
    let text = sql[from..to]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Statement { line, text, tokens }
}

struct Lexer {
    chars: Vec<(usize, char)>,
    pos: usize,
    line: usize,
    /// The line of the last token read.
    token_line: usize,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// The byte offset of the next character (the end of the text read).
    fn byte_offset(&self) -> usize {
        match self.chars.get(self.pos) {
            Some(&(offset, _)) => offset,
            None => self
                .chars
                .last()
                .map_or(0, |&(offset, c)| offset + c.len_utf8()),
        }
    }
}

impl Lexer {
    /// The next token and its byte offset, skipping whitespace and comments.
    /// `token_line` is set to the token's line.
    fn next_token(&mut self) -> Option<(usize, Token)> {
        loop {
            let c = self.peek(0)?;
            if c.is_whitespace() {
                self.bump();
            } else if c == '-' && self.peek(1) == Some('-') {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else if c == '/' && self.peek(1) == Some('*') {
                self.block_comment();
            } else {
                break;
            }
        }
        let offset = self.byte_offset();
        self.token_line = self.line;
        let c = self.peek(0)?;
        let token = if c == '\'' {
            self.bump();
            self.string(false);
            Token::Literal
        } else if (c == 'e' || c == 'E') && self.peek(1) == Some('\'') {
            self.bump();
            self.bump();
            self.string(true);
            Token::Literal
        } else if c == '"' {
            self.bump();
            Token::Quoted(self.quoted_identifier())
        } else if let Some(tag) = (c == '$').then(|| self.dollar_tag()).flatten() {
            for _ in 0..tag.chars().count() {
                self.bump();
            }
            self.dollar_body(&tag);
            Token::Literal
        } else if c.is_alphabetic() || c == '_' {
            let mut word = String::new();
            while let Some(c) = self.peek(0) {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    word.push(c);
                    self.bump();
                } else {
                    break;
                }
            }
            Token::Word(word)
        } else if c.is_ascii_digit() {
            while self
                .peek(0)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
            {
                self.bump();
            }
            Token::Number
        } else {
            self.bump();
            Token::Punct(c)
        };
        Some((offset, token))
    }

    /// PostgreSQL block comments nest.
    fn block_comment(&mut self) {
        self.bump();
        self.bump();
        let mut depth = 1;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    depth += 1;
                }
                (Some('*'), Some('/')) => {
                    self.bump();
                    self.bump();
                    depth -= 1;
                }
                (Some(_), _) => {
                    self.bump();
                }
                (None, _) => return,
            }
        }
    }

    /// After the opening quote: up to the closing one. `''` is a quote;
    /// with `escapes`, so is `\'`.
    fn string(&mut self, escapes: bool) {
        while let Some(c) = self.bump() {
            if escapes && c == '\\' {
                self.bump();
            } else if c == '\'' {
                if self.peek(0) == Some('\'') {
                    self.bump();
                } else {
                    return;
                }
            }
        }
    }

    fn quoted_identifier(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.bump() {
            if c == '"' {
                if self.peek(0) == Some('"') {
                    self.bump();
                    name.push('"');
                } else {
                    break;
                }
            } else {
                name.push(c);
            }
        }
        name
    }

    /// `$tag$` or `$$` at the current position (a `$1` parameter is not one).
    fn dollar_tag(&self) -> Option<String> {
        let mut tag = String::from("$");
        let mut i = 1;
        loop {
            let c = self.peek(i)?;
            if c == '$' {
                tag.push('$');
                return Some(tag);
            }
            let allowed = if i == 1 {
                c.is_alphabetic() || c == '_'
            } else {
                c.is_alphanumeric() || c == '_'
            };
            if !allowed {
                return None;
            }
            tag.push(c);
            i += 1;
        }
    }

    /// After the opening tag: up to the same tag.
    fn dollar_body(&mut self, tag: &str) {
        let tag: Vec<char> = tag.chars().collect();
        while self.peek(0).is_some() {
            if (0..tag.len()).all(|i| self.peek(i) == Some(tag[i])) {
                for _ in 0..tag.len() {
                    self.bump();
                }
                return;
            }
            self.bump();
        }
    }
}
