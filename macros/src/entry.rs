//! Argument parsing, configuration and expansion for `#[netloop::main]` and
//! `#[netloop::test]`.
//!
//! Everything here works on `proc_macro2` tokens so that the unit tests in
//! `tests.rs` can drive it without a compiler-provided `proc_macro` context.
//! `lib.rs` only converts between the two token types.

use std::fmt;

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, Meta, MetaNameValue, Path, ReturnType, Signature, Token};

/// The argument names both attributes accept, as listed in error messages.
const KNOWN_ARGUMENTS: &str = "`flavor`, `worker_threads`, `start_paused`, `name`, `crate`";

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[netloop::main]`: defaults to the multi-thread runtime.
    Main,
    /// `#[netloop::test]`: defaults to the current-thread runtime and adds
    /// `#[test]`.
    Test,
}

impl Kind {
    /// The attribute as a user writes it, for hints in error messages.
    fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "netloop::main",
            Kind::Test => "netloop::test",
        }
    }

    /// The flavor used when no `flavor = ".."` argument is given.
    pub(crate) fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime flavor, i.e. which `Builder` constructor the expansion calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new_current_thread()`.
    CurrentThread,
    /// `Builder::new_multi_thread()`.
    MultiThread,
}

impl Flavor {
    /// Parses the string given to `flavor = ".."`.
    fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "current_thread" => Ok(Flavor::CurrentThread),
            "multi_thread" => Ok(Flavor::MultiThread),
            "single_thread" | "single_threaded" | "basic_scheduler" => Err(format!(
                "No such runtime flavor `{name}`; the single-threaded flavor is called `current_thread`."
            )),
            "multi_threaded" | "threaded_scheduler" => Err(format!(
                "No such runtime flavor `{name}`; the multi-threaded flavor is called `multi_thread`."
            )),
            _ => Err(format!(
                "No such runtime flavor `{name}`. The runtime flavors are `current_thread` and `multi_thread`."
            )),
        }
    }

    /// The `netloop::runtime::Builder` constructor for this flavor.
    fn constructor(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "new_current_thread",
            Flavor::MultiThread => "new_multi_thread",
        }
    }
}

/// A validated set of arguments: everything the expansion needs to know.
pub(crate) struct Config {
    /// The runtime flavor (explicit or the attribute's default).
    pub(crate) flavor: Flavor,
    /// `worker_threads = N`; only ever `Some` with [`Flavor::MultiThread`].
    pub(crate) worker_threads: Option<usize>,
    /// `start_paused = b`; only ever `Some` with [`Flavor::CurrentThread`].
    pub(crate) start_paused: Option<bool>,
    /// `name = ".."`: the runtime's name (`Builder::name`).
    pub(crate) name: Option<String>,
    /// `crate = ".."`; `None` means `::netloop`.
    pub(crate) crate_path: Option<Path>,
}

impl Config {
    /// The configuration used when no arguments are given.
    pub(crate) fn defaults(kind: Kind) -> Self {
        Config {
            flavor: kind.default_flavor(),
            worker_threads: None,
            start_paused: None,
            name: None,
            crate_path: None,
        }
    }

    /// The path the expansion reaches the facade through.
    pub(crate) fn crate_root(&self) -> TokenStream {
        match &self.crate_path {
            Some(path) => path.to_token_stream(),
            None => quote!(::netloop),
        }
    }
}

// `syn::Path` only implements `Debug` with syn's `extra-traits` feature, so
// print it as tokens instead.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("start_paused", &self.start_paused)
            .field("name", &self.name)
            .field("crate_path", &self.crate_root().to_string())
            .finish()
    }
}

/// Collects errors so that every bad argument is reported, not just the first.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn push_msg(&mut self, span: Span, message: impl fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

/// One argument as written: its value and the span of that value, so later
/// cross-argument checks can point at it.
type Seen<T> = Option<(T, Span)>;

/// Records `value` for argument `name`, or reports that it was set twice.
fn set_once<T>(slot: &mut Seen<T>, value: T, span: Span, name: &str, errors: &mut Errors) {
    if slot.is_some() {
        errors.push_msg(span, format_args!("`{name}` set multiple times."));
    } else {
        *slot = Some((value, span));
    }
}

/// Parses and validates the attribute's arguments (the tokens inside
/// `#[netloop::main(..)]`).
pub(crate) fn parse_config(args: TokenStream, kind: Kind) -> syn::Result<Config> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;

    let mut errors = Errors::default();
    let mut flavor: Seen<Flavor> = None;
    let mut worker_threads: Seen<usize> = None;
    let mut start_paused: Seen<bool> = None;
    let mut runtime_name: Seen<String> = None;
    let mut crate_path: Seen<Path> = None;

    for meta in metas {
        let name_value = match meta {
            Meta::NameValue(name_value) => name_value,
            Meta::Path(path) => {
                errors.push(bare_argument_error(&path, kind));
                continue;
            }
            Meta::List(list) => {
                errors.push_msg(
                    list.span(),
                    format_args!(
                        "Unknown argument `{}`; expected one of: {KNOWN_ARGUMENTS}, each written as `name = value`.",
                        path_name(&list.path)
                    ),
                );
                continue;
            }
        };
        let name = path_name(&name_value.path);
        let lit = match literal_value(&name_value, &name) {
            Ok(lit) => lit,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let span = lit.span();
        match name.as_str() {
            "flavor" => match parse_str(lit, &name).and_then(|s| {
                Flavor::from_name(&s).map_err(|message| syn::Error::new(span, message))
            }) {
                Ok(value) => set_once(&mut flavor, value, span, &name, &mut errors),
                Err(error) => errors.push(error),
            },
            "worker_threads" => match parse_int(lit, &name) {
                Ok(0) => errors.push_msg(span, "`worker_threads` may not be 0."),
                Ok(value) => set_once(&mut worker_threads, value, span, &name, &mut errors),
                Err(error) => errors.push(error),
            },
            "start_paused" => match parse_bool(lit, &name) {
                Ok(value) => set_once(&mut start_paused, value, span, &name, &mut errors),
                Err(error) => errors.push(error),
            },
            "name" => match parse_str(lit, &name) {
                // `Builder::name` would panic at run time; say it here.
                Ok(value) if value.trim().is_empty() => {
                    errors.push_msg(span, "`name` may not be empty.");
                }
                Ok(value) => set_once(&mut runtime_name, value, span, &name, &mut errors),
                Err(error) => errors.push(error),
            },
            "crate" => match parse_path(lit, &name) {
                Ok(value) => set_once(&mut crate_path, value, span, &name, &mut errors),
                Err(error) => errors.push(error),
            },
            "core_threads" => errors.push_msg(
                name_value.span(),
                "Unknown argument `core_threads`; it is called `worker_threads`.",
            ),
            _ => errors.push_msg(
                name_value.span(),
                format_args!("Unknown argument `{name}`; expected one of: {KNOWN_ARGUMENTS}."),
            ),
        }
    }

    let flavor = flavor.map_or(kind.default_flavor(), |(flavor, _)| flavor);
    // Cross-argument rules, as tokio's attributes have them: worker threads
    // only exist on the multi-thread runtime, and paused time only on the
    // current-thread one.
    if let (Flavor::CurrentThread, Some((_, span))) = (flavor, worker_threads) {
        errors.push_msg(
            span,
            format_args!(
                "The `worker_threads` option requires the `multi_thread` runtime flavor. Use `#[{}(flavor = \"multi_thread\")]`.",
                kind.attribute()
            ),
        );
    }
    if let (Flavor::MultiThread, Some((_, span))) = (flavor, start_paused) {
        errors.push_msg(
            span,
            format_args!(
                "The `start_paused` option requires the `current_thread` runtime flavor. Use `#[{}(flavor = \"current_thread\")]`.",
                kind.attribute()
            ),
        );
    }

    errors.finish(Config {
        flavor,
        worker_threads: worker_threads.map(|(value, _)| value),
        start_paused: start_paused.map(|(value, _)| value),
        name: runtime_name.map(|(value, _)| value),
        crate_path: crate_path.map(|(value, _)| value),
    })
}

/// The argument name as a string (a multi-segment path prints as written).
fn path_name(path: &Path) -> String {
    match path.get_ident() {
        Some(ident) => ident.to_string(),
        None => path.to_token_stream().to_string().replace(' ', ""),
    }
}

/// The error for an argument written without `= value`, with a hint where the
/// intent is clear.
fn bare_argument_error(path: &Path, kind: Kind) -> syn::Error {
    let name = path_name(path);
    let message = match name.as_str() {
        "current_thread" | "multi_thread" => format!(
            "Set the runtime flavor with `#[{}(flavor = \"{name}\")]`.",
            kind.attribute()
        ),
        "flavor" | "worker_threads" | "start_paused" | "name" | "crate" => {
            format!("The `{name}` argument requires a value, written as `{name} = ..`.")
        }
        _ => format!("Unknown argument `{name}`; expected one of: {KNOWN_ARGUMENTS}."),
    };
    syn::Error::new_spanned(path, message)
}

/// The literal on the right of `name = ..`.
fn literal_value<'a>(name_value: &'a MetaNameValue, name: &str) -> syn::Result<&'a Lit> {
    match &name_value.value {
        Expr::Lit(ExprLit { lit, attrs }) if attrs.is_empty() => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("The value of `{name}` must be a literal."),
        )),
    }
}

fn parse_str(lit: &Lit, name: &str) -> syn::Result<String> {
    match lit {
        Lit::Str(s) => Ok(s.value()),
        _ => Err(syn::Error::new(
            lit.span(),
            format!(
                "Failed to parse value of `{name}` as string; expected e.g. `{name} = \"..\"`."
            ),
        )),
    }
}

fn parse_int(lit: &Lit, name: &str) -> syn::Result<usize> {
    match lit {
        Lit::Int(int) => int.base10_parse::<usize>().map_err(|error| {
            syn::Error::new(
                lit.span(),
                format!("Failed to parse value of `{name}` as integer: {error}"),
            )
        }),
        _ => Err(syn::Error::new(
            lit.span(),
            format!("Failed to parse value of `{name}` as integer; expected e.g. `{name} = 4`."),
        )),
    }
}

fn parse_bool(lit: &Lit, name: &str) -> syn::Result<bool> {
    match lit {
        Lit::Bool(b) => Ok(b.value),
        _ => Err(syn::Error::new(
            lit.span(),
            format!("Failed to parse value of `{name}` as bool; expected `true` or `false`."),
        )),
    }
}

fn parse_path(lit: &Lit, name: &str) -> syn::Result<Path> {
    match lit {
        Lit::Str(s) => s.parse::<Path>().map_err(|_| {
            syn::Error::new(
                lit.span(),
                format!(
                    "Failed to parse value of `{name}` as path: \"{}\"",
                    s.value()
                ),
            )
        }),
        _ => Err(syn::Error::new(
            lit.span(),
            format!(
                "Failed to parse value of `{name}` as path; expected e.g. `{name} = \"netloop\"`."
            ),
        )),
    }
}

/// The annotated function. The body is kept as raw tokens (only its leading
/// inner attributes are split off), so a half-typed body in an editor still
/// expands and the cost of parsing large bodies is avoided.
struct AsyncFn {
    attrs: Vec<Attribute>,
    vis: syn::Visibility,
    sig: Signature,
    inner_attrs: Vec<Attribute>,
    body: Group,
}

impl Parse for AsyncFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = syn::braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let stmts: TokenStream = content.parse()?;
        let mut body = Group::new(Delimiter::Brace, stmts);
        body.set_span(brace.span.join());
        Ok(AsyncFn {
            attrs,
            vis,
            sig,
            inner_attrs,
            body,
        })
    }
}

/// Whether `attr` is the built-in `#[test]` (`test`, or
/// `[::]core|std::prelude::<edition>::test`).
fn is_test_attribute(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [only] => path.leading_colon.is_none() && only == "test",
        [krate, prelude, _edition, last] => {
            (krate == "core" || krate == "std") && prelude == "prelude" && last == "test"
        }
        _ => false,
    }
}

/// Checks the function itself (as opposed to the attribute's arguments).
fn check_function(func: &AsyncFn, kind: Kind) -> syn::Result<()> {
    let mut errors = Errors::default();
    if func.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            &func.sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    match kind {
        // As with tokio, only `main` itself must not take arguments: another
        // `#[netloop::main] async fn` may take some, its body borrows them.
        Kind::Main if func.sig.ident == "main" && !func.sig.inputs.is_empty() => {
            errors.push(syn::Error::new_spanned(
                &func.sig.inputs,
                "the main function cannot accept arguments",
            ));
        }
        Kind::Main => {}
        Kind::Test => {
            if !func.sig.inputs.is_empty() {
                errors.push(syn::Error::new_spanned(
                    &func.sig.inputs,
                    "the test function cannot accept arguments",
                ));
            }
            if let Some(attr) = func.attrs.iter().find(|attr| is_test_attribute(attr)) {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "second test attribute is supplied, consider removing or changing the order of your test attributes",
                ));
            }
        }
    }
    errors.finish(())
}

/// Expands `#[netloop::main]` / `#[netloop::test]` with arguments `args` on
/// `item`.
///
/// On error the function is still emitted (expanded with the default
/// configuration, or verbatim when it does not even parse as a function)
/// followed by the `compile_error!`s, so that editors keep resolving it.
pub(crate) fn expand(args: TokenStream, item: TokenStream, kind: Kind) -> TokenStream {
    let func: AsyncFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => return with_error(item, error),
    };

    let mut errors = Errors::default();
    if let Err(error) = check_function(&func, kind) {
        errors.push(error);
    }
    let config = parse_config(args, kind).unwrap_or_else(|error| {
        errors.push(error);
        Config::defaults(kind)
    });

    match errors.0 {
        None => render(func, kind, &config, kind == Kind::Test),
        Some(error) => {
            // Adding `#[test]` to a function that takes arguments or already
            // has one would only pile further errors onto the real one.
            let test_header = kind == Kind::Test
                && func.sig.inputs.is_empty()
                && !func.attrs.iter().any(is_test_attribute);
            with_error(render(func, kind, &config, test_header), error)
        }
    }
}

/// Appends `error` as `compile_error!` invocations to `tokens`.
fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

/// The span of the first token of the body's last statement (split naively at
/// top-level `;`), or of the closing brace for an empty body. Type errors
/// about the returned value (the `block_on` call) then point into the body
/// instead of at the attribute.
fn last_statement_span(body: &Group) -> Span {
    let mut last_start = None;
    let mut at_start = true;
    for token in body.stream() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ';' => at_start = true,
            _ if at_start => {
                last_start = Some(token.span());
                at_start = false;
            }
            _ => {}
        }
    }
    last_start.unwrap_or_else(|| body.span_close())
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// Produces the synchronous function that builds a runtime and blocks on the
/// original body.
fn render(func: AsyncFn, kind: Kind, config: &Config, test_header: bool) -> TokenStream {
    let AsyncFn {
        attrs,
        vis,
        mut sig,
        inner_attrs,
        body,
    } = func;
    sig.asyncness = None;

    // Everything that can carry a type error about the body's value (the
    // `block_on` call, the type erasure in tests) is spanned at the body's
    // last statement, so the error points there rather than at the attribute.
    let span = last_statement_span(&body);
    let root = respan(config.crate_root(), span);
    let constructor = Ident::new(config.flavor.constructor(), span);
    let mut builder = quote_spanned!(span=> #root::runtime::Builder::#constructor());
    if let Some(n) = config.worker_threads {
        let n = Literal::usize_unsuffixed(n);
        builder.extend(quote_spanned!(span=> .worker_threads(#n)));
    }
    if let Some(paused) = config.start_paused {
        builder.extend(quote_spanned!(span=> .start_paused(#paused)));
    }
    if let Some(name) = &config.name {
        builder.extend(quote_spanned!(span=> .name(#name)));
    }

    // Mixed-site hygiene: the local cannot collide with anything the user's
    // body or signature names.
    let future = Ident::new("body", Span::mixed_site());
    // The same local, but located at the last statement: where it is the
    // value whose type can mismatch.
    let located = Ident::new("body", span.resolved_at(Span::mixed_site()));

    // Tests pin the body and erase its type so every test shares one
    // `block_on::<Pin<&mut dyn Future>>` instance instead of one per test; the
    // named output type also lets `?` in a `Result`-returning test infer its
    // error type.
    let output = match &sig.output {
        ReturnType::Default => Some(quote!(())),
        // `dyn Future<Output = !>` would need the unstable never type.
        ReturnType::Type(_, ty) if matches!(**ty, syn::Type::Never(_)) => None,
        ReturnType::Type(_, ty) => Some(ty.to_token_stream()),
    };
    let erase = match output {
        Some(output) if kind == Kind::Test => quote_spanned! {span=>
            let #future = ::core::pin::pin!(#future);
            let #future: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> = #located;
        },
        _ => TokenStream::new(),
    };

    let header = if test_header {
        quote!(#[::core::prelude::v1::test])
    } else {
        TokenStream::new()
    };

    let run = quote_spanned! {span=>
        #[allow(
            unreachable_code,
            unused_qualifications,
            clippy::expect_used,
            clippy::diverging_sub_expression,
            clippy::needless_return,
        )]
        {
            return #builder
                .enable_all()
                .build()
                .expect("Failed building the Runtime")
                .block_on(#located);
        }
    };

    quote! {
        #header
        #(#attrs)*
        #vis #sig {
            #(#inner_attrs)*
            let #future = async #body;
            #erase
            #run
        }
    }
}
