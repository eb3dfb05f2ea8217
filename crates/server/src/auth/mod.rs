//! Who is calling: bearer tokens with scopes for the Graph API, browser
//! sessions for the ceremony API, directory roles.

mod caller;
pub mod scope;
pub mod session;
pub mod token;

pub use caller::GraphCaller;
pub use session::SignedInUser;
