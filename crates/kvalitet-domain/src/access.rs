//! Who may do what: roles per municipality (reader, editor, administrator), the system
//! administrator, the actions they grant, and the login policy (password length, and how
//! failed attempts are counted and held back). Checked on the server for every action.

use serde::Serialize;

use crate::ids::MunicipalityId;

/// A person's role in one municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees the municipality's drafts and audit trail.
    Reader,
    /// Also enters values, defines measures and writes comments.
    Editor,
    /// Also publishes and manages the municipality's people.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Reader, Role::Editor, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// Something a person may try to do to a municipality's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    ViewDrafts,
    ViewAudit,
    EditValues,
    EditMeasures,
    Comment,
    Publish,
    ManageUsers,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::ViewDrafts,
        Action::ViewAudit,
        Action::EditValues,
        Action::EditMeasures,
        Action::Comment,
        Action::Publish,
        Action::ManageUsers,
    ];

    /// The least role that may do this.
    pub fn least_role(self) -> Role {
        match self {
            Self::ViewDrafts | Self::ViewAudit => Role::Reader,
            Self::EditValues | Self::EditMeasures | Self::Comment => Role::Editor,
            Self::Publish | Self::ManageUsers => Role::Admin,
        }
    }
}

/// Everything a person is granted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Grants {
    /// May do everything everywhere, and create municipalities' first administrators.
    pub system_admin: bool,
    pub roles: Vec<(MunicipalityId, Role)>,
}

impl Grants {
    pub fn role_in(&self, m: &MunicipalityId) -> Option<Role> {
        self.roles.iter().find(|(k, _)| k == m).map(|(_, r)| *r)
    }

    /// Whether `action` on `m`'s data is allowed.
    pub fn allows(&self, action: Action, m: &MunicipalityId) -> bool {
        self.system_admin || self.role_in(m).is_some_and(|r| r >= action.least_role())
    }
}

/// How logins are guarded. There is no hard lock of an account, which anyone who knows an
/// address could trigger against its owner: failed attempts are counted per account and
/// address together (strict), per address (against one host trying many accounts) and per
/// account from everywhere (loose, against many hosts trying one account), each in a window
/// that starts with its first failure. An attempt is counted before its password is checked,
/// so parallel attempts cannot slip past the count, and a success takes its count back.
/// Addresses and accounts that do not exist are counted and answered in the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub min_password_chars: usize,
    pub max_password_chars: usize,
    /// Failed attempts allowed for one account from one address in a window.
    pub per_account_and_address: u32,
    /// Failed attempts allowed from one address (an IPv6 /64) for any accounts in a window;
    /// a municipality whose staff share one address may raise it.
    pub per_address: u32,
    /// Failed attempts allowed for one account from all addresses in a window.
    pub per_account: u32,
    pub window_minutes: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            min_password_chars: 12,
            max_password_chars: 1024,
            per_account_and_address: 5,
            per_address: 50,
            per_account: 100,
            window_minutes: 15,
        }
    }
}

/// One count a login attempt is held to: its key and how many failures it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptLimit {
    pub key: String,
    pub limit: u32,
}

impl LoginPolicy {
    /// Why a new password is refused, if it is.
    pub fn check_password(&self, password: &str) -> Result<(), crate::Message> {
        let n = password.chars().count();
        if n < self.min_password_chars {
            Err(crate::Message::new("password_too_short").with("min", self.min_password_chars))
        } else if n > self.max_password_chars {
            Err(crate::Message::new("password_too_long").with("max", self.max_password_chars))
        } else {
            Ok(())
        }
    }

    /// The counts an attempt to log in to `account` (as typed, normalised by the caller)
    /// from `address` is held to.
    pub fn limits(&self, account: &str, address: std::net::IpAddr) -> [AttemptLimit; 3] {
        // Long input must not make long keys: the account part is cut to an address's length.
        let account: String = account.chars().take(254).collect();
        let address = address_key(address);
        [
            AttemptLimit {
                key: format!("account+address:{account}|{address}"),
                limit: self.per_account_and_address,
            },
            AttemptLimit {
                key: format!("address:{address}"),
                limit: self.per_address,
            },
            AttemptLimit {
                key: format!("account:{account}"),
                limit: self.per_account,
            },
        ]
    }
}

/// The part of an address one host controls: the whole IPv4 address (an IPv4-mapped IPv6
/// address counts as its IPv4 one), an IPv6 /64 (one host usually has all of it).
pub fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> MunicipalityId {
        MunicipalityId::parse(s).unwrap()
    }

    #[test]
    fn every_role_times_every_action_on_own_and_other_municipality() {
        let own = m("0180");
        let other = m("1480");
        for role in Role::ALL {
            let grants = Grants {
                system_admin: false,
                roles: vec![(own, role)],
            };
            for action in Action::ALL {
                let expected = match role {
                    Role::Reader => matches!(action, Action::ViewDrafts | Action::ViewAudit),
                    Role::Editor => !matches!(action, Action::Publish | Action::ManageUsers),
                    Role::Admin => true,
                };
                assert_eq!(grants.allows(action, &own), expected, "{role:?} {action:?}");
                assert!(
                    !grants.allows(action, &other),
                    "{role:?} {action:?} elsewhere"
                );
            }
        }
        let nobody = Grants::default();
        assert!(Action::ALL.iter().all(|a| !nobody.allows(*a, &own)));
        let sysadmin = Grants {
            system_admin: true,
            roles: vec![],
        };
        assert!(Action::ALL.iter().all(|a| sysadmin.allows(*a, &other)));
    }

    #[test]
    fn a_person_may_hold_different_roles_in_several_municipalities() {
        let g = Grants {
            system_admin: false,
            roles: vec![(m("0180"), Role::Admin), (m("1480"), Role::Reader)],
        };
        assert!(g.allows(Action::Publish, &m("0180")));
        assert!(!g.allows(Action::EditValues, &m("1480")));
        assert!(g.allows(Action::ViewDrafts, &m("1480")));
    }

    #[test]
    fn login_attempts_are_counted_per_account_and_address_per_address_and_per_account() {
        let p = LoginPolicy::default();
        assert!(p.check_password("kort").is_err());
        assert!(p.check_password("tolv tecken!").is_ok());
        let v4: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        let keys = p.limits("anna@kommun.se", v4);
        assert_eq!(keys[0].key, "account+address:anna@kommun.se|192.0.2.7");
        assert_eq!(keys[1].key, "address:192.0.2.7");
        assert_eq!(keys[2].key, "account:anna@kommun.se");
        assert!(keys[0].limit < keys[1].limit && keys[0].limit < keys[2].limit);
        // One host's IPv6 /64 is one address; a mapped IPv4 address is the IPv4 address.
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(a), "2001:db8:1:2::/64");
        let mapped: std::net::IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.7");
        let long = "a".repeat(10_000);
        assert!(p.limits(&long, v4)[2].key.len() < 300, "keys stay short");
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
    }
}
