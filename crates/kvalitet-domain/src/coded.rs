//! Enums with stable lower-case codes for forms, files and the database: each gets `ALL`,
//! `code()` and a forgiving `parse()`.

macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in forms, files and the database.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Reads a code, whatever its case and surrounding blanks.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim().to_lowercase();
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }
        }
    };
}
pub(crate) use coded_enum;
