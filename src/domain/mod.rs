//! Types shared by the server and the browser: validated newtypes ("parse, don't validate") and
//! the JSON shapes of the API.

pub mod customer;
pub mod device;
pub mod dto;
pub mod email;
pub mod form_error;
pub mod next;
pub mod password;
pub mod paths;
pub mod text;

pub use dto::*;
pub use email::Email;
pub use password::Password;
pub use text::{DisplayName, TodoTitle};
