//! What to tell a person, as a code with named parameters rather than as text: the domain
//! and the use cases name what went wrong ("unknown_municipality", id "9999"); the web says it
//! in the person's language from the one table of words ([`crate::words`]). So no Swedish page shows a
//! developer's English, and the wording is kept in one place.

use std::fmt;

/// A message for a person: its code in the table of words, and the values put into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub code: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// A value put into a message: text as it is (a number, an id, a file's own words), or
/// another message, said in the same language as the one around it ("line 3, column year:
/// {problem}").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Said(Box<Message>),
    /// A form field or file column by its name in the code; said with the table's words
    /// for `field.<name>` where it has them, else as the name (a file's own column).
    Field(String),
}

impl Message {
    pub fn new(code: &'static str) -> Self {
        Self {
            code,
            args: Vec::new(),
        }
    }

    /// The message with the parameter `name` set to `value`.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// The message with the parameter `name` set to another message, said in the same
    /// language.
    pub fn with_said(mut self, name: &'static str, inner: Message) -> Self {
        self.args.push((name, Arg::Said(Box::new(inner))));
        self
    }

    /// A text parameter's value.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| match v {
                Arg::Text(t) | Arg::Field(t) => Some(t.as_str()),
                Arg::Said(_) => None,
            })
    }

    /// `problem` said of the field `field` of a form or a file: "decimals: …" is said in
    /// Swedish as "Decimaler: …".
    pub fn in_field(field: impl Into<String>, problem: Message) -> Self {
        let mut m = Self::new("in_field");
        m.args.push(("field", Arg::Field(field.into())));
        m.with_said("problem", problem)
    }
}

/// The message in English, for logs, the command line and the JSON API; pages say it in
/// the person's language with [`crate::Lang::say`].
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::Lang::En.say(self))
    }
}
