//! What to tell a person, as a code with named parameters rather than as text: the domain
//! and the use cases name what went wrong ("unknown_municipality", id "9999"); the web says it
//! in the person's language from its one table of words. So no Swedish page shows a
//! developer's English, and the wording is kept in one place.

use std::fmt;

/// A message for a person: its code in the table of words, and the values put into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
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
        self.args.push((name, value.to_string()));
        self
    }

    /// A parameter's value.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}
