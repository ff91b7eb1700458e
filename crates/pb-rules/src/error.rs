//! The one error type of the crate. Every failure of parsing, resolving or compiling an
//! expression is a [`RuleError`]; nothing in this crate panics on user input.
//!
//! PocketBase answers almost all of these with a plain `400` and empty `data`; the only exception
//! is [`RuleError::ForbiddenRequestRef`], which is a `403`. [`RuleError::http_status`] says which.

use thiserror::Error;

/// Why an expression could not be turned into SQL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    /// The text is not a well-formed expression (bad token, missing operand, unbalanced
    /// parentheses, empty expression …). `position` is a byte offset into the expression.
    #[error("invalid expression at {position}: {message}")]
    Syntax { message: String, position: usize },

    /// The expression is longer than the limit for `filter` query params (3500 bytes in
    /// PocketBase). Rules have no length limit.
    #[error("the expression is too long ({length} > {max} bytes)")]
    TooLong { length: usize, max: usize },

    /// More than 200 comparisons, parentheses nested too deeply, functions nested too deeply,
    /// relation paths longer than 6 relations, or more than 8 sort terms.
    #[error("the expression is too complex: {message}")]
    TooComplex { message: String },

    /// An identifier that names no field, relation, back-relation, collection or macro.
    #[error("unknown field {name:?}")]
    UnknownField { name: String },

    /// A hidden field used by someone who may not filter by hidden fields (non-superusers).
    #[error("non-filterable field {name:?}")]
    HiddenField { name: String },

    /// A relation path into a collection whose list rule is `null` (superusers only), used by
    /// someone who may not filter by hidden fields.
    #[error("fields of {collection:?} can be filtered only by superusers")]
    RestrictedCollection { collection: String },

    /// An unknown modifier (`created:year`) or one the field does not support
    /// (`@request.body.title:each`, `comments_via_post:length`).
    #[error("invalid modifier in {name:?}")]
    InvalidModifier { name: String },

    /// An unknown function, or a known one called with the wrong number or kind of arguments.
    #[error("invalid function call: {message}")]
    InvalidFunction { message: String },

    /// A sort term that does not resolve to a plain column expression.
    #[error("invalid sort field {name:?}")]
    InvalidSort { name: String },

    /// A collection or field name from the schema that is not a safe SQL identifier
    /// (`^[A-Za-z0-9_]+$`). Valid PocketBase schemas never have one.
    #[error("unsafe identifier {name:?} in the schema")]
    UnsafeIdentifier { name: String },

    /// `@request.` or `@collection.` in a `filter`/`sort` query param sent by a non-superuser.
    /// PocketBase answers `403 "Only superusers can filter by @request."` (or `@collection.`);
    /// `prefix` is the offending prefix (`"@request."` or `"@collection."`).
    #[error("Only superusers can filter by {prefix}")]
    ForbiddenRequestRef { prefix: String },
}

impl RuleError {
    /// The HTTP status PocketBase answers with: 403 for [`RuleError::ForbiddenRequestRef`],
    /// 400 for everything else.
    pub fn http_status(&self) -> u16 {
        match self {
            RuleError::ForbiddenRequestRef { .. } => 403,
            _ => 400,
        }
    }

    pub(crate) fn syntax(message: impl Into<String>, position: usize) -> RuleError {
        RuleError::Syntax {
            message: message.into(),
            position,
        }
    }

    pub(crate) fn too_complex(message: impl Into<String>) -> RuleError {
        RuleError::TooComplex {
            message: message.into(),
        }
    }

    pub(crate) fn unknown(name: impl Into<String>) -> RuleError {
        RuleError::UnknownField { name: name.into() }
    }

    pub(crate) fn function(message: impl Into<String>) -> RuleError {
        RuleError::InvalidFunction {
            message: message.into(),
        }
    }
}
