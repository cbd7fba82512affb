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
    /// A word of the table by its key (`field.decimals`, `w.draft`), or `fallback` where
    /// the table has none (a file's own column name).
    Term {
        key: String,
        fallback: String,
    },
    /// Several messages, said one after the other ("…; …").
    List(Vec<Message>),
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

    /// The message with the parameter `name` set to several messages, said in turn.
    pub fn with_list(mut self, name: &'static str, items: Vec<Message>) -> Self {
        self.args.push((name, Arg::List(items)));
        self
    }

    /// Several problems as one message ("…; …"), e.g. every bad row of a file.
    pub fn all(problems: Vec<Message>) -> Self {
        Self::new("list").with_list("items", problems)
    }

    /// The message with the parameter `name` set to the table's word for `key` (the
    /// words of a status code, a field's name), or `fallback` where it has none.
    pub fn with_term(
        mut self,
        name: &'static str,
        key: impl Into<String>,
        fallback: impl Into<String>,
    ) -> Self {
        self.args.push((
            name,
            Arg::Term {
                key: key.into(),
                fallback: fallback.into(),
            },
        ));
        self
    }

    /// The message with the parameter `name` set to the words of a stable code (a round's
    /// status, kind or step: `w.<code>` in the table).
    pub fn with_code(self, name: &'static str, code: &str) -> Self {
        self.with_term(name, format!("w.{code}"), code)
    }

    /// A text parameter's value.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| match v {
                Arg::Text(t) => Some(t.as_str()),
                Arg::Said(_) | Arg::Term { .. } | Arg::List(_) => None,
            })
    }

    /// `problem` said of the field `field` of a form or a file: "decimals: …" is said in
    /// Swedish as "Decimaler: …".
    pub fn in_field(field: impl Into<String>, problem: Message) -> Self {
        let field = field.into();
        Self::new("in_field")
            .with_term("field", format!("field.{field}"), field)
            .with_said("problem", problem)
    }

    /// The text put into the parameter `name`, if any.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.args.iter().find_map(|(n, arg)| match arg {
            Arg::Text(t) if *n == name => Some(t.as_str()),
            _ => None,
        })
    }

    /// The fallback of the term put into the parameter `name` (a field's own name), if any.
    pub fn term(&self, name: &str) -> Option<&str> {
        self.args.iter().find_map(|(n, arg)| match arg {
            Arg::Term { fallback, .. } if *n == name => Some(fallback.as_str()),
            _ => None,
        })
    }

    /// The message put into the parameter `name`, if any.
    pub fn said(&self, name: &str) -> Option<&Message> {
        self.args.iter().find_map(|(n, arg)| match arg {
            Arg::Said(inner) if *n == name => Some(inner.as_ref()),
            _ => None,
        })
    }

    /// The field an [`in_field`](Self::in_field) message is about, and its problem without
    /// the field's name: a form puts the problem beside its field.
    pub fn field_problem(&self) -> Option<(&str, &Message)> {
        if self.code != "in_field" {
            return None;
        }
        let field = self.args.iter().find_map(|(name, arg)| match arg {
            Arg::Term { fallback, .. } if *name == "field" => Some(fallback.as_str()),
            _ => None,
        })?;
        let problem = self.args.iter().find_map(|(name, arg)| match arg {
            Arg::Said(inner) if *name == "problem" => Some(inner.as_ref()),
            _ => None,
        })?;
        Some((field, problem))
    }
}

impl Message {
    /// The field problem within a message that places it ("goal \"kf1\": indicator 2: …"),
    /// however deep: a form of one goal puts the plan's problems with that goal beside its
    /// fields.
    pub fn inner_field_problem(&self) -> Option<(&str, &Message)> {
        self.field_problem().or_else(|| {
            self.args.iter().find_map(|(_, arg)| match arg {
                Arg::Said(inner) => inner.inner_field_problem(),
                _ => None,
            })
        })
    }
}

/// The message in English, for logs, the command line and the JSON API; pages say it in
/// the person's language with [`crate::Lang::say`].
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::Lang::En.say(self))
    }
}

/// Text that has no words in the table, as it is: what the command line's readers of Kolada's
/// and other machine files say (in English, to the operator). A page never shows one: the
/// files people upload and the forms they fill in say what is wrong with codes.
impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::new("text").with("text", text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

impl From<crate::IdError> for Message {
    fn from(e: crate::IdError) -> Self {
        e.message()
    }
}

impl From<crate::value::ValueError> for Message {
    fn from(e: crate::value::ValueError) -> Self {
        e.message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fields_problem_can_be_put_beside_the_field() {
        let problem = Message::new("whole_number_from_to")
            .with("min", 0)
            .with("max", 6);
        let m = Message::in_field("decimals", problem.clone());
        assert_eq!(m.field_problem(), Some(("decimals", &problem)));
        assert_eq!(problem.field_problem(), None);
    }
}
