//! Why the domain refuses a request, in its own words: the HTTP layer turns each reason into
//! production's status and body in one place (`api::reply`).

/// A request the rules refuse. Storage failures are not rejections: they stay errors.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// Broken field rules, one message each, in class-validator's wording and order.
    Invalid(Vec<String>),
    /// An id that is not ObjectId-shaped where production casts one.
    InvalidId,
    /// Nothing by that id (the message names what was looked for).
    NotFound(String),
    /// The id is taken.
    Conflict(String),
}

impl Rejection {
    /// One broken rule.
    pub fn invalid(message: impl Into<String>) -> Self {
        Rejection::Invalid(vec![message.into()])
    }
}
