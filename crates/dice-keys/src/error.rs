//! [`RegistryError`]: why a key registry refused or failed, as one line
//! that says what to do.

use crate::file::KeysError;

/// Why a registry call did not happen. Its `Display` is the one line a
/// command prints.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// An argument is malformed: a name, an id, a number.
    #[error("{0}")]
    Invalid(String),
    /// The target cannot do what was asked (a per-key plan on API Gateway,
    /// say); the message says what to do instead.
    #[error("{0}")]
    Unsupported(String),
    /// No key has this id.
    #[error("no key has the id {0}; `keys list` shows the ids")]
    NoSuchKey(String),
    /// No usage plan has this name.
    #[error("no usage plan is named {0:?}; `plans list` shows them, `plans add` makes one")]
    NoSuchPlan(String),
    /// A key already has this name.
    #[error(
        "a key named {name:?} already exists (id {id}); choose another --name, or pass --allow-duplicate-name"
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The key that has it.
        id: String,
    },
    /// A usage plan already has this name.
    #[error("a usage plan named {0:?} already exists; choose another --name")]
    DuplicatePlan(String),
    /// The key is in none of the API's usage plans.
    #[error(
        "key {0} is in no usage plan of this API, and API Gateway ignores keys outside a usage plan; attach it with `keys set-plan {0} --plan NAME`"
    )]
    NotInPlan(String),
    /// A key needs a plan and the API has none.
    #[error(
        "the API has no usage plan, and API Gateway ignores keys outside one; make one with `plans add --name NAME --rate R --burst B --quota Q`"
    )]
    NoPlan,
    /// A key needs a plan and the API has several.
    #[error("the API has several usage plans ({0}); choose one with --plan")]
    WhichPlan(String),
    /// Usage was asked of a key whose plan counts none.
    #[error(
        "key {id}'s plan ({plan}) has no quota, so no usage is counted against one; give it a plan with a quota (`plans add ... --quota Q`, then `keys set-plan {id} --plan NAME`)"
    )]
    NoQuota {
        /// The key.
        id: String,
        /// Its plan, in words.
        plan: String,
    },
    /// The keys file could not be used.
    #[error(transparent)]
    Keys(KeysError),
    /// The target failed or could not be reached; the message names it.
    #[error("{0}")]
    Target(String),
}

impl RegistryError {
    /// Whether the command line was at fault (exit status 2) rather than the
    /// target (exit status 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Invalid(_) | Self::Unsupported(_))
    }
}

impl From<KeysError> for RegistryError {
    /// The keys file's error in the registry's words.
    fn from(err: KeysError) -> Self {
        match err {
            KeysError::UnknownId(id) => Self::NoSuchKey(id),
            KeysError::DuplicateName { name, id } => Self::DuplicateName { name, id },
            other => Self::Keys(other),
        }
    }
}
