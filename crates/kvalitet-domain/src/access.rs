//! Who may do what: roles per municipality (reader, editor, administrator), the system
//! administrator, the actions they grant, and the login policy (password length, slow-down
//! and lockout after failed attempts). Checked on the server for every action.

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

/// How logins are guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub min_password_chars: usize,
    pub max_password_chars: usize,
    /// Consecutive failures after which the account is locked.
    pub lock_after: u32,
    pub lock_minutes: u32,
    /// Added delay per earlier failure, in milliseconds, up to `lock_after` failures.
    pub delay_per_failure_ms: u64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            min_password_chars: 12,
            max_password_chars: 1024,
            lock_after: 5,
            lock_minutes: 15,
            delay_per_failure_ms: 250,
        }
    }
}

impl LoginPolicy {
    /// Why a new password is refused, if it is.
    pub fn check_password(&self, password: &str) -> Result<(), String> {
        let n = password.chars().count();
        if n < self.min_password_chars {
            Err(format!(
                "the password needs at least {} characters",
                self.min_password_chars
            ))
        } else if n > self.max_password_chars {
            Err(format!(
                "the password may have at most {} characters",
                self.max_password_chars
            ))
        } else {
            Ok(())
        }
    }

    /// How long to wait before answering an attempt after `failures` earlier failures.
    pub fn delay_ms(&self, failures: u32) -> u64 {
        u64::from(failures.min(self.lock_after)) * self.delay_per_failure_ms
    }

    /// Whether this many consecutive failures lock the account.
    pub fn locks(&self, failures: u32) -> bool {
        failures >= self.lock_after
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
    fn login_policy_slows_then_locks() {
        let p = LoginPolicy::default();
        assert!(p.check_password("kort").is_err());
        assert!(p.check_password("tolv tecken!").is_ok());
        assert_eq!(p.delay_ms(0), 0);
        assert_eq!(p.delay_ms(2), 500);
        assert_eq!(p.delay_ms(50), 1250, "the delay stops growing at the lock");
        assert!(!p.locks(4) && p.locks(5));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
    }
}
