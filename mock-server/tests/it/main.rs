//! Integration tests of the mock: in process through `oneshot`, on a real
//! socket through `MockServer`, and the binary through `assert_cmd`.

mod auth;
mod authjs_libraries;
mod authjs_tokens;
mod cli;
mod endings;
mod hostile;
mod lifecycle;
mod nextjs;
mod proxy;
mod scenarios;
mod serving;
mod signin;
mod ui;
mod util;
mod webdriver;
