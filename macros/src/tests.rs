//! Unit tests for argument parsing, validation and expansion, run on
//! `proc_macro2` tokens (no compiler context needed).

use proc_macro2::TokenStream;
use quote::quote;

use crate::entry::{Config, Flavor, Kind, expand, parse_config};

/// Token text without whitespace, so fragments compare independently of how
/// `proc_macro2` spaces its output.
fn squash(tokens: &TokenStream) -> String {
    tokens.to_string().split_whitespace().collect()
}

fn config(args: TokenStream, kind: Kind) -> Config {
    match parse_config(args, kind) {
        Ok(config) => config,
        Err(error) => panic!("unexpected error: {error}"),
    }
}

/// Every message of the (possibly combined) error.
fn errors(args: TokenStream, kind: Kind) -> Vec<String> {
    match parse_config(args, kind) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

fn single_error(args: TokenStream, kind: Kind) -> String {
    let errors = errors(args, kind);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap_or_default()
}

/// The lint `allow`s around the generated `block_on` call.
const ALLOWS: &str = "#[allow(unreachable_code,unused_qualifications,clippy::expect_used,\
                      clippy::diverging_sub_expression,clippy::needless_return,)]";

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "`{needle}` not found in:\n{haystack}"
    );
}

fn assert_lacks(haystack: &str, needle: &str) {
    assert!(
        !haystack.contains(needle),
        "`{needle}` unexpectedly found in:\n{haystack}"
    );
}

// ---- defaults -------------------------------------------------------------

#[test]
fn main_defaults_to_multi_thread() {
    let c = config(quote!(), Kind::Main);
    assert_eq!(c.flavor, Flavor::MultiThread);
    assert_eq!(c.worker_threads, None);
    assert_eq!(c.start_paused, None);
    assert!(c.crate_path.is_none());
    assert_eq!(squash(&c.crate_root()), "::netloop");
}

#[test]
fn test_defaults_to_current_thread() {
    let c = config(quote!(), Kind::Test);
    assert_eq!(c.flavor, Flavor::CurrentThread);
    assert_eq!(c.worker_threads, None);
    assert_eq!(c.start_paused, None);
    assert!(c.crate_path.is_none());
}

#[test]
fn defaults_helper_matches_kind() {
    assert_eq!(Config::defaults(Kind::Main).flavor, Flavor::MultiThread);
    assert_eq!(Config::defaults(Kind::Test).flavor, Flavor::CurrentThread);
}

// ---- each argument --------------------------------------------------------

#[test]
fn flavor_argument() {
    for kind in [Kind::Main, Kind::Test] {
        let c = config(quote!(flavor = "current_thread"), kind);
        assert_eq!(c.flavor, Flavor::CurrentThread);
        let c = config(quote!(flavor = "multi_thread"), kind);
        assert_eq!(c.flavor, Flavor::MultiThread);
    }
}

#[test]
fn worker_threads_argument() {
    let c = config(quote!(worker_threads = 4), Kind::Main);
    assert_eq!(c.worker_threads, Some(4));
    let c = config(
        quote!(flavor = "multi_thread", worker_threads = 2),
        Kind::Test,
    );
    assert_eq!((c.flavor, c.worker_threads), (Flavor::MultiThread, Some(2)));
    // Suffixed literals are integers too.
    let c = config(quote!(worker_threads = 3usize), Kind::Main);
    assert_eq!(c.worker_threads, Some(3));
}

#[test]
fn start_paused_argument() {
    let c = config(quote!(start_paused = true), Kind::Test);
    assert_eq!(c.start_paused, Some(true));
    let c = config(quote!(start_paused = false), Kind::Test);
    assert_eq!(c.start_paused, Some(false));
    let c = config(
        quote!(flavor = "current_thread", start_paused = true),
        Kind::Main,
    );
    assert_eq!(
        (c.flavor, c.start_paused),
        (Flavor::CurrentThread, Some(true))
    );
}

#[test]
fn crate_argument() {
    let c = config(quote!(crate = "my_netloop"), Kind::Main);
    assert_eq!(squash(&c.crate_root()), "my_netloop");
    let c = config(quote!(crate = "::outer::netloop"), Kind::Test);
    assert_eq!(squash(&c.crate_root()), "::outer::netloop");
    // The facade's own unit tests would write `crate = "crate"`.
    let c = config(quote!(crate = "crate"), Kind::Test);
    assert_eq!(squash(&c.crate_root()), "crate");
}

#[test]
fn name_argument() {
    let c = config(quote!(name = "my-runtime"), Kind::Test);
    assert_eq!(c.name.as_deref(), Some("my-runtime"));
    assert_eq!(config(quote!(), Kind::Main).name, None);
    let e = single_error(quote!(name = "  "), Kind::Main);
    assert_contains(&e, "`name` may not be empty.");
    let e = single_error(quote!(name = 3), Kind::Main);
    assert_contains(&e, "Failed to parse value of `name` as string");
    let e = single_error(quote!(name = "a", name = "b"), Kind::Test);
    assert_contains(&e, "`name` set multiple times.");
}

#[test]
fn all_arguments_together_with_trailing_comma() {
    let c = config(
        quote!(crate = "nl", flavor = "current_thread", start_paused = true,),
        Kind::Main,
    );
    assert_eq!(c.flavor, Flavor::CurrentThread);
    assert_eq!(c.start_paused, Some(true));
    assert_eq!(squash(&c.crate_root()), "nl");
}

// ---- argument errors ------------------------------------------------------

#[test]
fn worker_threads_zero() {
    assert_eq!(
        single_error(quote!(worker_threads = 0), Kind::Main),
        "`worker_threads` may not be 0."
    );
}

#[test]
fn worker_threads_with_current_thread() {
    let e = single_error(
        quote!(flavor = "current_thread", worker_threads = 2),
        Kind::Main,
    );
    assert_contains(
        &e,
        "The `worker_threads` option requires the `multi_thread` runtime flavor",
    );
    assert_contains(&e, "#[netloop::main(flavor = \"multi_thread\")]");
    // `#[netloop::test]` defaults to current_thread, so a bare
    // `worker_threads` is the same mistake.
    let e = single_error(quote!(worker_threads = 2), Kind::Test);
    assert_contains(&e, "requires the `multi_thread` runtime flavor");
    assert_contains(&e, "#[netloop::test(flavor = \"multi_thread\")]");
}

#[test]
fn start_paused_with_multi_thread() {
    // `#[netloop::main]` defaults to multi_thread.
    let e = single_error(quote!(start_paused = true), Kind::Main);
    assert_contains(
        &e,
        "The `start_paused` option requires the `current_thread` runtime flavor",
    );
    let e = single_error(
        quote!(flavor = "multi_thread", start_paused = false),
        Kind::Test,
    );
    assert_contains(&e, "#[netloop::test(flavor = \"current_thread\")]");
}

#[test]
fn unknown_argument() {
    let e = single_error(quote!(threads = 4), Kind::Main);
    assert_eq!(
        e,
        "Unknown argument `threads`; expected one of: `flavor`, `worker_threads`, `start_paused`, `name`, `crate`."
    );
    let e = single_error(quote!(core_threads = 4), Kind::Main);
    assert_contains(&e, "it is called `worker_threads`");
    let e = single_error(quote!(a::b = 4), Kind::Main);
    assert_contains(&e, "Unknown argument `a::b`");
    let e = single_error(quote!(flavor("multi_thread")), Kind::Main);
    assert_contains(&e, "Unknown argument `flavor`");
}

#[test]
fn bare_arguments() {
    let e = single_error(quote!(multi_thread), Kind::Test);
    assert_eq!(
        e,
        "Set the runtime flavor with `#[netloop::test(flavor = \"multi_thread\")]`."
    );
    let e = single_error(quote!(current_thread), Kind::Main);
    assert_contains(&e, "#[netloop::main(flavor = \"current_thread\")]");
    let e = single_error(quote!(start_paused), Kind::Test);
    assert_eq!(
        e,
        "The `start_paused` argument requires a value, written as `start_paused = ..`."
    );
    let e = single_error(quote!(whatever), Kind::Test);
    assert_contains(&e, "Unknown argument `whatever`");
}

#[test]
fn wrong_literal_types() {
    let e = single_error(quote!(flavor = 1), Kind::Main);
    assert_contains(&e, "Failed to parse value of `flavor` as string");
    let e = single_error(quote!(worker_threads = "2"), Kind::Main);
    assert_contains(&e, "Failed to parse value of `worker_threads` as integer");
    let e = single_error(quote!(worker_threads = 1.5), Kind::Main);
    assert_contains(&e, "Failed to parse value of `worker_threads` as integer");
    let e = single_error(quote!(start_paused = "yes"), Kind::Test);
    assert_contains(&e, "Failed to parse value of `start_paused` as bool");
    let e = single_error(quote!(crate = my_netloop), Kind::Test);
    assert_eq!(e, "The value of `crate` must be a literal.");
    let e = single_error(quote!(crate = 3), Kind::Test);
    assert_contains(&e, "Failed to parse value of `crate` as path;");
    let e = single_error(quote!(crate = "not a path"), Kind::Test);
    assert_eq!(
        e,
        "Failed to parse value of `crate` as path: \"not a path\""
    );
}

#[test]
fn non_literal_values() {
    // syn reads `-1` as one (negative) literal.
    let e = single_error(quote!(worker_threads = -1), Kind::Main);
    assert_contains(&e, "Failed to parse value of `worker_threads` as integer:");
    let e = single_error(quote!(worker_threads = 1 + 1), Kind::Main);
    assert_eq!(e, "The value of `worker_threads` must be a literal.");
    let e = single_error(quote!(worker_threads = N), Kind::Main);
    assert_eq!(e, "The value of `worker_threads` must be a literal.");
}

#[test]
fn out_of_range_integer() {
    let e = single_error(quote!(worker_threads = 99999999999999999999999), Kind::Main);
    assert_contains(&e, "Failed to parse value of `worker_threads` as integer:");
}

#[test]
fn unknown_flavors() {
    let e = single_error(quote!(flavor = "fast"), Kind::Main);
    assert_eq!(
        e,
        "No such runtime flavor `fast`. The runtime flavors are `current_thread` and `multi_thread`."
    );
    let e = single_error(quote!(flavor = "single_thread"), Kind::Main);
    assert_contains(&e, "is called `current_thread`");
    let e = single_error(quote!(flavor = "threaded_scheduler"), Kind::Main);
    assert_contains(&e, "is called `multi_thread`");
}

#[test]
fn arguments_set_twice() {
    let e = single_error(
        quote!(flavor = "current_thread", flavor = "current_thread"),
        Kind::Test,
    );
    assert_eq!(e, "`flavor` set multiple times.");
    let e = single_error(quote!(worker_threads = 1, worker_threads = 2), Kind::Main);
    assert_eq!(e, "`worker_threads` set multiple times.");
    let e = single_error(quote!(start_paused = true, start_paused = true), Kind::Test);
    assert_eq!(e, "`start_paused` set multiple times.");
    let e = single_error(quote!(crate = "a", crate = "b"), Kind::Test);
    assert_eq!(e, "`crate` set multiple times.");
}

#[test]
fn every_bad_argument_is_reported() {
    let all = errors(
        quote!(bogus = 1, worker_threads = 0, start_paused = 7),
        Kind::Test,
    );
    assert_eq!(all.len(), 3, "{all:?}");
    assert_contains(&all[0], "Unknown argument `bogus`");
    assert_eq!(all[1], "`worker_threads` may not be 0.");
    assert_contains(&all[2], "as bool");
}

#[test]
fn malformed_argument_syntax() {
    // Not `name = value` pairs separated by commas at all.
    assert!(
        parse_config(
            quote!(flavor = "multi_thread" worker_threads = 2),
            Kind::Main
        )
        .is_err()
    );
    assert!(parse_config(quote!(= 3), Kind::Main).is_err());
}

// ---- expansion ------------------------------------------------------------

#[test]
fn test_expansion_default() {
    let out = squash(&expand(
        quote!(),
        quote!(
            async fn t() {}
        ),
        Kind::Test,
    ));
    assert_contains(&out, "#[::core::prelude::v1::test]fnt()");
    assert_lacks(&out, "async fn");
    assert_contains(&out, "letbody=async{};");
    assert_contains(&out, "letbody=::core::pin::pin!(body);");
    assert_contains(
        &out,
        "letbody:::core::pin::Pin<&mutdyn::core::future::Future<Output=()>>=body;",
    );
    assert_contains(&out, ALLOWS);
    assert_contains(
        &out,
        "return::netloop::runtime::Builder::new_current_thread().enable_all().build()\
         .expect(\"FailedbuildingtheRuntime\").block_on(body);",
    );
    assert_lacks(&out, "worker_threads");
    assert_lacks(&out, "start_paused");
    assert_lacks(&out, "compile_error");
}

#[test]
fn main_expansion_with_arguments() {
    let out = squash(&expand(
        quote!(flavor = "multi_thread", worker_threads = 2),
        quote!(
            async fn main() {}
        ),
        Kind::Main,
    ));
    assert!(out.starts_with("fnmain(){"), "{out}");
    assert_lacks(&out, "core::prelude::v1::test");
    assert_lacks(&out, "pin!");
    assert_contains(
        &out,
        "return::netloop::runtime::Builder::new_multi_thread().worker_threads(2).enable_all()\
         .build().expect(\"FailedbuildingtheRuntime\").block_on(body);",
    );
}

#[test]
fn main_expansion_default_is_multi_thread() {
    let out = squash(&expand(
        quote!(),
        quote!(
            async fn main() {}
        ),
        Kind::Main,
    ));
    assert_contains(
        &out,
        "::netloop::runtime::Builder::new_multi_thread().enable_all()",
    );
}

#[test]
fn start_paused_expansion() {
    let out = squash(&expand(
        quote!(start_paused = true),
        quote!(
            async fn t() {}
        ),
        Kind::Test,
    ));
    assert_contains(
        &out,
        "Builder::new_current_thread().start_paused(true).enable_all()",
    );
    let out = squash(&expand(
        quote!(flavor = "current_thread", start_paused = false),
        quote!(
            async fn main() {}
        ),
        Kind::Main,
    ));
    assert_contains(&out, ".start_paused(false)");
}

#[test]
fn crate_argument_changes_the_path() {
    let out = squash(&expand(
        quote!(crate = "my_netloop"),
        quote!(
            async fn t() {}
        ),
        Kind::Test,
    ));
    assert_contains(
        &out,
        "returnmy_netloop::runtime::Builder::new_current_thread()",
    );
    assert_lacks(&out, "::netloop");
}

#[test]
fn result_return_type_is_kept() {
    let out = squash(&expand(
        quote!(),
        quote!(
            async fn t() -> Result<(), std::io::Error> {
                Ok(())
            }
        ),
        Kind::Test,
    ));
    assert_contains(&out, "fnt()->Result<(),std::io::Error>{");
    assert_contains(&out, "Future<Output=Result<(),std::io::Error>>");
    assert_contains(&out, "letbody=async{Ok(())};");
}

#[test]
fn never_returning_test_is_not_type_erased() {
    // `dyn Future<Output = !>` is not stable Rust.
    let out = squash(&expand(
        quote!(),
        quote!(
            async fn t() -> ! {
                std::process::exit(0)
            }
        ),
        Kind::Test,
    ));
    assert_contains(&out, "#[::core::prelude::v1::test]fnt()->!{letbody=async{");
    assert_lacks(&out, "pin!");
    assert_lacks(&out, "dyn");
    assert_contains(&out, ".block_on(body);");
}

#[test]
fn attributes_docs_visibility_and_body_are_kept() {
    let out = squash(&expand(
        quote!(),
        quote!(
            /// Docs.
            #[ignore]
            pub(crate) async fn t() {
                #![allow(unused_variables)]
                let x = 1;
                helper(x).await;
            }
        ),
        Kind::Test,
    ));
    assert_contains(
        &out,
        "#[::core::prelude::v1::test]#[doc=r\"Docs.\"]#[ignore]pub(crate)fnt(){\
         #![allow(unused_variables)]letbody=async{letx=1;helper(x).await;};",
    );
}

#[test]
fn main_on_other_function_keeps_parameters() {
    let out = squash(&expand(
        quote!(),
        quote!(
            async fn run(n: u32) -> u32 {
                n + 1
            }
        ),
        Kind::Main,
    ));
    assert_lacks(&out, "compile_error");
    assert_contains(&out, "fnrun(n:u32)->u32{letbody=async{n+1};");
}

// ---- errors on the function -----------------------------------------------

/// Expands and checks that the function is still there along with a
/// `compile_error!` carrying `message`.
fn expand_error(args: TokenStream, item: TokenStream, kind: Kind, message: &str) -> String {
    let out = expand(args, item, kind).to_string();
    assert_contains(&out, "compile_error");
    assert_contains(&out, message);
    squash(&out.parse().unwrap_or_default())
}

#[test]
fn missing_async() {
    for kind in [Kind::Main, Kind::Test] {
        let out = expand_error(
            quote!(),
            quote!(
                fn main() {}
            ),
            kind,
            "the `async` keyword is missing from the function declaration",
        );
        // Still expanded, so the function exists for the rest of the crate.
        assert_contains(&out, "fnmain(){letbody=async{};");
    }
}

#[test]
fn main_with_parameters() {
    let out = expand_error(
        quote!(),
        quote!(
            async fn main(args: Vec<String>) {}
        ),
        Kind::Main,
        "the main function cannot accept arguments",
    );
    assert_contains(&out, "fnmain(args:Vec<String>){");
}

#[test]
fn test_with_parameters() {
    let out = expand_error(
        quote!(),
        quote!(
            async fn t(x: u8) {}
        ),
        Kind::Test,
        "the test function cannot accept arguments",
    );
    assert_contains(&out, "fnt(x:u8){");
    // No `#[test]` on a function that cannot be one.
    assert_lacks(&out, "core::prelude::v1::test");
}

#[test]
fn second_test_attribute() {
    for attr in [
        quote!(#[test]),
        quote!(#[::core::prelude::v1::test]),
        quote!(#[std::prelude::rust_2024::test]),
    ] {
        let out = expand_error(
            quote!(),
            quote!(#attr async fn t() {}),
            Kind::Test,
            "second test attribute is supplied",
        );
        // The user's attribute is kept, and ours is not added on top.
        assert_eq!(out.matches("test]").count(), 1, "{out}");
    }
    // Other attributes that merely end in `test` are fine.
    let out = squash(&expand(
        quote!(),
        quote!(
            #[other::test]
            async fn t() {}
        ),
        Kind::Test,
    ));
    assert_lacks(&out, "compile_error");
}

#[test]
fn argument_error_still_emits_function_with_defaults() {
    let out = expand_error(
        quote!(worker_threads = 0),
        quote!(
            pub async fn main() {
                work().await;
            }
        ),
        Kind::Main,
        "`worker_threads` may not be 0.",
    );
    assert_contains(
        &out,
        "pubfnmain(){letbody=async{work().await;};#[allow(unreachable_code,unused_qualifications,clippy::expect_used,clippy::diverging_sub_expression,clippy::needless_return,)]{return::netloop::runtime::Builder::new_multi_thread().enable_all()",
    );
    let out = expand_error(
        quote!(flavor = "nope"),
        quote!(
            async fn t() {}
        ),
        Kind::Test,
        "No such runtime flavor `nope`",
    );
    assert_contains(&out, "#[::core::prelude::v1::test]fnt()");
}

#[test]
fn function_and_argument_errors_are_both_reported() {
    let out = expand(
        quote!(bogus = 1),
        quote!(
            fn t(x: u8) {}
        ),
        Kind::Test,
    )
    .to_string();
    assert_eq!(out.matches("compile_error").count(), 3, "{out}");
    assert_contains(&out, "the `async` keyword is missing");
    assert_contains(&out, "the test function cannot accept arguments");
    assert_contains(&out, "Unknown argument `bogus`");
}

#[test]
fn syntax_error_in_arguments_still_emits_function() {
    let out = expand(
        quote!(flavor = ),
        quote!(
            async fn t() {}
        ),
        Kind::Test,
    );
    let out = squash(&out);
    assert_contains(&out, "compile_error");
    assert_contains(&out, "fnt(){letbody=async{};");
}

#[test]
fn non_function_item_is_emitted_verbatim() {
    let out = squash(&expand(
        quote!(),
        quote!(
            struct S;
        ),
        Kind::Test,
    ));
    assert!(out.starts_with("structS;"), "{out}");
    assert_contains(&out, "compile_error");
}

#[test]
fn unparsable_body_is_passed_through() {
    // Bodies are not parsed, so an in-progress edit still expands.
    let out = squash(&expand(
        quote!(),
        quote!(
            async fn t() {
                let x = ;
            }
        ),
        Kind::Test,
    ));
    assert_lacks(&out, "compile_error");
    assert_contains(&out, "letbody=async{letx=;};");
}

#[test]
fn name_expansion() {
    let out = squash(&expand(
        quote!(name = "my-runtime"),
        quote!(
            async fn t() {}
        ),
        Kind::Test,
    ));
    assert_contains(
        &out,
        "Builder::new_current_thread().name(\"my-runtime\").enable_all()",
    );
}
