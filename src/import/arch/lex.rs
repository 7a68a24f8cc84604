//! Lexing (never executing) a PKGBUILD: quoting, parameter expansions and command
//! substitutions are recognised so that nothing in them is ever run.

/// A part of a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    /// Literal text; `quoted` text takes no part in brace expansion.
    Lit { text: String, quoted: bool },
    /// `$name` or `${name…}`; `op` is what follows the name inside the braces.
    Param { name: String, op: String },
    /// A command substitution, backticks or arithmetic: never run.
    Unsafe { text: String },
}

/// A shell word with the line it starts on.
#[derive(Debug, Clone)]
pub(super) struct Word {
    pub(super) segs: Vec<Seg>,
    pub(super) line: usize,
}

impl Word {
    pub(super) fn unsafe_text(&self) -> Option<&str> {
        self.segs.iter().find_map(|s| match s {
            Seg::Unsafe { text } => Some(text.as_str()),
            _ => None,
        })
    }

    /// The word as written, roughly (for messages).
    pub(super) fn display(&self) -> String {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Lit { text, .. } => text.clone(),
                Seg::Param { name, op } if op.is_empty() => format!("${name}"),
                Seg::Param { name, op } => format!("${{{name}{op}}}"),
                Seg::Unsafe { text } => text.clone(),
            })
            .collect()
    }

    /// `Some(text)` when the word is a single unquoted literal.
    pub(super) fn plain(&self) -> Option<&str> {
        match self.segs.as_slice() {
            [
                Seg::Lit {
                    text,
                    quoted: false,
                },
            ] => Some(text),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum Tok {
    Word(Word),
    /// `;` `&` `|` `(` `)` `<` `>` and their doubled forms.
    Op(String),
    Newline,
}

/// The lexer's state: the text, where it is, and the line there (for messages).
struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

pub(super) type LexError = (usize, String);

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if let Some(c) = c {
            self.pos += 1;
            if c == '\n' {
                self.line += 1;
            }
        }
        c
    }

    /// Reads up to the closing `close`, counting nested `open`, skipping quotes; returns the
    /// text between.
    fn balanced(&mut self, open: char, close: char) -> Result<String, LexError> {
        let start_line = self.line;
        let mut depth = 1;
        let mut out = String::new();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    out.push(c);
                    if let Some(n) = self.bump() {
                        out.push(n);
                    }
                    continue;
                }
                '\'' if open == '(' => {
                    out.push(c);
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(n) => out.push(n),
                            None => return Err((start_line, "unterminated ' quote".into())),
                        }
                    }
                    out.push('\'');
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                }
                _ => {}
            }
            out.push(c);
        }
        Err((start_line, format!("unterminated {open}…{close}")))
    }

    fn dollar(&mut self) -> Result<Seg, LexError> {
        // At '$'.
        self.bump();
        match self.peek(0) {
            Some('(') => {
                self.bump();
                let inner = self.balanced('(', ')')?;
                Ok(Seg::Unsafe {
                    text: format!("$({inner})"),
                })
            }
            Some('{') => {
                self.bump();
                let inner = self.balanced('{', '}')?;
                let name: String = inner
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                    return Ok(Seg::Param {
                        name: String::new(),
                        op: inner,
                    });
                }
                let op = inner[name.len()..].to_string();
                Ok(Seg::Param { name, op })
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek(0)
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    name.push(c);
                    self.bump();
                }
                Ok(Seg::Param {
                    name,
                    op: String::new(),
                })
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.bump();
                Ok(Seg::Param {
                    name: String::new(),
                    op: c.to_string(),
                })
            }
            _ => Ok(Seg::Lit {
                text: "$".into(),
                quoted: false,
            }),
        }
    }

    fn backtick(&mut self) -> Result<Seg, LexError> {
        let start_line = self.line;
        self.bump();
        let mut text = String::from("`");
        loop {
            match self.bump() {
                Some('\\') => {
                    text.push('\\');
                    if let Some(n) = self.bump() {
                        text.push(n);
                    }
                }
                Some('`') => break,
                Some(c) => text.push(c),
                None => return Err((start_line, "unterminated ` backtick".into())),
            }
        }
        text.push('`');
        Ok(Seg::Unsafe { text })
    }

    fn word(&mut self) -> Result<Word, LexError> {
        let line = self.line;
        let mut segs: Vec<Seg> = Vec::new();
        let lit = |segs: &mut Vec<Seg>, c: char, quoted: bool| match segs.last_mut() {
            Some(Seg::Lit { text, quoted: q }) if *q == quoted => text.push(c),
            _ => segs.push(Seg::Lit {
                text: c.to_string(),
                quoted,
            }),
        };
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') | None => {}
                        Some(n) => lit(&mut segs, n, true),
                    }
                }
                '\'' => {
                    let start_line = self.line;
                    self.bump();
                    // An empty '' still makes a (quoted, empty) word.
                    segs.push(Seg::Lit {
                        text: String::new(),
                        quoted: true,
                    });
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(n) => lit(&mut segs, n, true),
                            None => return Err((start_line, "unterminated ' quote".into())),
                        }
                    }
                }
                '"' => {
                    let start_line = self.line;
                    self.bump();
                    segs.push(Seg::Lit {
                        text: String::new(),
                        quoted: true,
                    });
                    loop {
                        match self.peek(0) {
                            None => return Err((start_line, "unterminated \" quote".into())),
                            Some('"') => {
                                self.bump();
                                break;
                            }
                            Some('\\') => {
                                self.bump();
                                match self.bump() {
                                    Some('\n') => {}
                                    Some(n) if "$`\"\\".contains(n) => lit(&mut segs, n, true),
                                    Some(n) => {
                                        lit(&mut segs, '\\', true);
                                        lit(&mut segs, n, true);
                                    }
                                    None => {}
                                }
                            }
                            Some('$') => {
                                let seg = self.dollar()?;
                                match seg {
                                    Seg::Lit { text, .. } => {
                                        for ch in text.chars() {
                                            lit(&mut segs, ch, true);
                                        }
                                    }
                                    other => segs.push(other),
                                }
                            }
                            Some('`') => segs.push(self.backtick()?),
                            Some(n) => {
                                self.bump();
                                lit(&mut segs, n, true);
                            }
                        }
                    }
                }
                '$' => {
                    let seg = self.dollar()?;
                    match seg {
                        Seg::Lit { text, quoted } => {
                            for ch in text.chars() {
                                lit(&mut segs, ch, quoted);
                            }
                        }
                        other => segs.push(other),
                    }
                }
                '`' => segs.push(self.backtick()?),
                _ => {
                    self.bump();
                    lit(&mut segs, c, false);
                }
            }
        }
        segs.retain(|s| !matches!(s, Seg::Lit { text, .. } if text.is_empty()));
        if segs.is_empty() {
            // '' or "": an empty word.
            segs.push(Seg::Lit {
                text: String::new(),
                quoted: true,
            });
        }
        Ok(Word { segs, line })
    }
}

/// Splits a PKGBUILD into words, operators and newlines. Comments are dropped.
pub(super) fn lex(text: &str) -> Result<Vec<Tok>, LexError> {
    let mut lx = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut toks = Vec::new();
    while let Some(c) = lx.peek(0) {
        match c {
            ' ' | '\t' | '\r' => {
                lx.bump();
            }
            '\\' if lx.peek(1) == Some('\n') => {
                lx.bump();
                lx.bump();
            }
            '\n' => {
                lx.bump();
                toks.push(Tok::Newline);
            }
            '#' => {
                while lx.peek(0).is_some_and(|c| c != '\n') {
                    lx.bump();
                }
            }
            ';' | '&' | '|' | '(' | ')' | '<' | '>' => {
                lx.bump();
                let mut op = c.to_string();
                if lx.peek(0) == Some(c) && c != '(' && c != ')' {
                    lx.bump();
                    op.push(c);
                }
                toks.push(Tok::Op(op));
            }
            _ => toks.push(Tok::Word(lx.word()?)),
        }
    }
    Ok(toks)
}
