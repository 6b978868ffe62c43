//! The command line as clap reads it: global options, commands and their arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Manage Fluxer OAuth2 applications and tokens from the terminal.
///
/// Secrets (passwords, codes, tokens, client secrets) are never taken as arguments: they are
/// prompted for (without echo on a terminal, one line each from standard input otherwise) or read
/// from the environment variables named in each command's help. They are never printed unless a
/// command is given `--show-secret`, and then only the one asked for.
#[derive(Debug, Parser)]
#[command(name = "fluxer-oauth2", version, propagate_version = true)]
#[command(after_help = AFTER_HELP)]
pub struct Cli {
    /// The instance's API base, e.g. https://api.fluxer.app/v1 (default: FLUXER_API_BASE, then the
    /// instance of the last login, then https://api.fluxer.app/v1).
    #[arg(long, global = true, value_name = "URL", conflicts_with = "instance")]
    pub api_base: Option<String>,

    /// The instance's address, e.g. https://chat.example.org: its API base is discovered from
    /// /.well-known/fluxer.
    #[arg(long, global = true, value_name = "URL")]
    pub instance: Option<String>,

    /// Print machine-readable JSON on standard output (errors too, as {"error": {...}}).
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Credentials are kept in FLUXER_OAUTH2_CONFIG_DIR (default: the user's config folder, e.g.
~/.config/fluxer-oauth2) in credentials.json, readable by its owner only (mode 0600).

Exit codes: 0 success, 1 other failure, 2 usage, 3 authentication or authorization,
4 not found, 5 rate limited, 6 server error, 7 server unreachable.";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in with email and password (then a TOTP code if the account has one), or with a session
    /// token from standard input or FLUXER_SESSION_TOKEN.
    Login(LoginArgs),
    /// End the stored session on the server and forget it.
    Logout,
    /// List the sessions of the logged-in user.
    Sessions,
    /// Manage the OAuth2 applications of the logged-in user.
    #[command(subcommand)]
    Apps(AppsCommand),
    /// Print the URL that adds an application's bot to a guild.
    InviteUrl(InviteUrlArgs),
    /// Print an authorize URL (state and PKCE kept for `token exchange`).
    AuthorizeUrl(AuthorizeUrlArgs),
    /// Exchange, refresh, introspect or revoke OAuth2 tokens with an application's credentials.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Log in through the browser to one of your applications (loopback redirect, RFC 8252) and keep
    /// the tokens.
    BrowserLogin(BrowserLoginArgs),
    /// The applications the logged-in user has authorized.
    #[command(subcommand)]
    Authorizations(AuthorizationsCommand),
    /// Who a token belongs to: the stored tokens of --app, a token from standard input, or the
    /// logged-in session.
    Whoami(WhoamiArgs),
}

/// `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The account's email address (prompted for when left out).
    #[arg(long, value_name = "EMAIL", conflicts_with = "token_stdin")]
    pub email: Option<String>,
    /// Read a session token (flx_…) from standard input instead of logging in with a password.
    /// FLUXER_SESSION_TOKEN does the same.
    #[arg(long)]
    pub token_stdin: bool,
}

/// `apps …`.
#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List your applications.
    List,
    /// Show one application.
    Show {
        /// The application id.
        id: String,
    },
    /// Create an application. Its client secret and bot token are kept in the credential store.
    Create(CreateArgs),
    /// Change an application's name, redirect URIs or bot settings.
    Update(UpdateArgs),
    /// Delete an application (sudo mode: password or TOTP code).
    Delete {
        /// The application id.
        id: String,
        /// Do not ask for confirmation (required without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Issue a new client secret; the old one stops working at once (sudo mode). The new one is kept
    /// in the credential store.
    RotateSecret {
        /// The application id.
        id: String,
        /// Print the new client secret.
        #[arg(long)]
        show_secret: bool,
    },
    /// Issue a new bot token; the old one stops working at once (sudo mode). The new one is kept in
    /// the credential store.
    ResetBotToken {
        /// The application id.
        id: String,
        /// Print the new bot token.
        #[arg(long)]
        show_secret: bool,
    },
}

/// `apps create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The name (1 to 100 characters).
    #[arg(long)]
    pub name: String,
    /// A redirect URI (repeat for more). https, or http for 127.0.0.1 and other loopback addresses;
    /// for `browser-login --port N` register http://127.0.0.1:N/callback.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Whether anyone may add the bot (default: yes).
    #[arg(long, value_name = "BOOL")]
    pub bot_public: Option<bool>,
    /// Whether adding the bot needs the full code grant (default: no).
    #[arg(long, value_name = "BOOL")]
    pub bot_require_code_grant: Option<bool>,
    /// Print one of the new secrets: the client secret (the default) or the bot token.
    #[arg(long, value_name = "WHICH", num_args = 0..=1, default_missing_value = "client-secret")]
    pub show_secret: Option<AppSecret>,
}

/// The secrets `apps create` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AppSecret {
    /// The client secret.
    ClientSecret,
    /// The bot token.
    BotToken,
}

/// `apps update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The application id.
    pub id: String,
    /// A new name.
    #[arg(long)]
    pub name: Option<String>,
    /// The redirect URIs, replacing the current ones (repeat for more).
    #[arg(
        long = "redirect-uri",
        value_name = "URI",
        conflicts_with = "clear_redirect_uris"
    )]
    pub redirect_uris: Vec<String>,
    /// Remove every redirect URI.
    #[arg(long)]
    pub clear_redirect_uris: bool,
    /// Whether anyone may add the bot.
    #[arg(long, value_name = "BOOL")]
    pub bot_public: Option<bool>,
    /// Whether adding the bot needs the full code grant.
    #[arg(long, value_name = "BOOL")]
    pub bot_require_code_grant: Option<bool>,
    /// A new description.
    #[arg(long, conflicts_with = "clear_description")]
    pub description: Option<String>,
    /// Remove the description.
    #[arg(long)]
    pub clear_description: bool,
}

/// `invite-url`.
#[derive(Debug, Args)]
pub struct InviteUrlArgs {
    /// The application id.
    #[arg(long, value_name = "ID")]
    pub app: String,
    /// The bot's permissions: a decimal bitfield, or permission names separated by commas
    /// (e.g. send_messages,view_channel).
    #[arg(long, value_name = "PERMISSIONS")]
    pub permissions: Option<String>,
    /// Pre-select this guild.
    #[arg(long, value_name = "ID")]
    pub guild: Option<String>,
    /// Do not let the user pick another guild.
    #[arg(long)]
    pub disable_guild_select: bool,
}

/// `authorize-url`.
#[derive(Debug, Args)]
pub struct AuthorizeUrlArgs {
    /// The application id.
    #[arg(long, value_name = "ID")]
    pub app: String,
    /// A redirect URI registered on the application, exactly as registered.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: String,
    /// The scopes, separated by commas or spaces (identify, email, guilds, connections, bot).
    #[arg(long, value_name = "SCOPES", default_value = "identify")]
    pub scope: String,
    /// Set prompt=consent or prompt=none.
    #[arg(long, value_enum)]
    pub prompt: Option<PromptArg>,
}

/// `--prompt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PromptArg {
    /// Always show the consent page.
    Consent,
    /// Never show a page.
    None,
}

/// `token …`. The client secret comes from FLUXER_CLIENT_SECRET, or the credential store (for
/// applications created or rotated here), or a prompt.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Exchange an authorization code. Standard input gives the redirect URL the browser landed on
    /// (its state is checked against `authorize-url`'s), or the bare code.
    Exchange(ExchangeArgs),
    /// Trade the stored refresh token (or one from standard input) for a new pair.
    Refresh(TokenArgs),
    /// Whether a token is active, and for whom.
    Introspect(TokenArgs),
    /// Revoke a token; this revokes all of the user's tokens for the application.
    Revoke(TokenArgs),
}

/// `token exchange`.
#[derive(Debug, Args)]
pub struct ExchangeArgs {
    /// The application id.
    #[arg(long, value_name = "ID")]
    pub app: String,
    /// The redirect URI of the authorization (default: the one `authorize-url` kept). With a bare
    /// code, FLUXER_PKCE_VERIFIER gives the PKCE verifier if one was used.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Print one of the new tokens: the access token (the default) or the refresh token.
    #[arg(long, value_name = "WHICH", num_args = 0..=1, default_missing_value = "access-token")]
    pub show_secret: Option<TokenSecret>,
}

/// `token refresh|introspect|revoke`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The application id.
    #[arg(long, value_name = "ID")]
    pub app: String,
    /// Read the token from standard input instead of the credential store.
    #[arg(long)]
    pub token_stdin: bool,
    /// Act on the refresh token instead of the access token (introspect, revoke).
    #[arg(long)]
    pub refresh: bool,
    /// Print one of the new tokens (refresh only): the access token (the default) or the refresh
    /// token.
    #[arg(long, value_name = "WHICH", num_args = 0..=1, default_missing_value = "access-token")]
    pub show_secret: Option<TokenSecret>,
}

/// The tokens a command can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TokenSecret {
    /// The access token.
    AccessToken,
    /// The refresh token.
    RefreshToken,
}

/// `browser-login`.
#[derive(Debug, Args)]
pub struct BrowserLoginArgs {
    /// The application id.
    #[arg(long, value_name = "ID")]
    pub app: String,
    /// The port to listen on; http://127.0.0.1:PORT/callback must be registered on the application.
    #[arg(long, value_name = "N")]
    pub port: u16,
    /// The scopes, separated by commas or spaces.
    #[arg(long, value_name = "SCOPES", default_value = "identify")]
    pub scope: String,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the browser, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Print one of the new tokens: the access token (the default) or the refresh token.
    #[arg(long, value_name = "WHICH", num_args = 0..=1, default_missing_value = "access-token")]
    pub show_secret: Option<TokenSecret>,
}

/// `authorizations …`.
#[derive(Debug, Subcommand)]
pub enum AuthorizationsCommand {
    /// List the applications you have authorized.
    List,
    /// Revoke your authorization of an application (all its tokens for you stop working).
    Revoke {
        /// The application id.
        app: String,
    },
}

/// `whoami`.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Use the stored access token of this application.
    #[arg(long, value_name = "ID", conflicts_with = "token_stdin")]
    pub app: Option<String>,
    /// Read an OAuth2 access token from standard input.
    #[arg(long)]
    pub token_stdin: bool,
}
