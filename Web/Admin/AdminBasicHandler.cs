using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Admin;

/// <summary>
/// HTTP Basic for the one admin user. A wrong password counts against the client's address
/// (<see cref="FailedLoginThrottle"/>); an address out of tries gets 429 with Retry-After,
/// whatever it sends. Refusals are problem details: 401 with the challenge; 403 over plain HTTP
/// from another machine (<see cref="CredentialTransport"/>), or when no password is set (then
/// only loopback is let in, by <see cref="AdminAccess.Policy"/>).
/// </summary>
public sealed class AdminBasicHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemes,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    IOptions<AdminOptions> admin,
    FailedLoginThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemes, loggers, encoder)
{
    public const string Challenge = "Basic realm=\"ball admin\", charset=\"UTF-8\"";

    // Whether the client was out of tries when this request arrived, or was refused for sending
    // the password over plain HTTP: the challenge answers 429 or 403 then, not 401.
    private TimeSpan? _throttledFor;
    private bool _plainHttp;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!admin.Value.HasPassword)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var client = Context.Connection.RemoteIpAddress;
        if (throttle.IsThrottled(client, out var retryAfter))
        {
            _throttledFor = retryAfter;
            return Task.FromResult(AuthenticateResult.Fail("Too many failed logins from this address"));
        }

        // Refused before the password is looked at, and without a challenge, so that no browser is
        // asked to send it in clear.
        if (!CredentialTransport.IsPrivate(Context, admin.Value))
        {
            _plainHttp = true;
            return Task.FromResult(AuthenticateResult.Fail("Admin credentials over plain HTTP"));
        }

        var header = Request.Headers.Authorization.ToString();
        if (!BasicCredentials.IsBasic(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // The try is charged before the comparison and given back if the password is right:
        // parallel guesses each take a try, and the limit holds however many arrive at once.
        if (!throttle.TryCharge(client, out var charge, out retryAfter))
        {
            _throttledFor = retryAfter;
            return Task.FromResult(AuthenticateResult.Fail("Too many failed logins from this address"));
        }

        if (!BasicCredentials.Match(header, AdminAccess.User, admin.Value.AdminPassword!))
        {
            Logger.LogWarning("Wrong admin credential from {Client}", client);
            return Task.FromResult(AuthenticateResult.Fail("Wrong admin credential"));
        }

        throttle.Refund(charge);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, AdminAccess.User)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.CacheControl = "no-store";
        await HandleAuthenticateOnceSafeAsync();
        if (_throttledFor is { } retryAfter)
        {
            Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Problem(StatusCodes.Status429TooManyRequests, "Too many failed logins",
                "This address sent too many wrong admin passwords; every admin request from it is refused until Retry-After has passed.");
            return;
        }

        if (_plainHttp)
        {
            await Problem(StatusCodes.Status403Forbidden, "Admin pages need HTTPS",
                "HTTP Basic would send the password in clear. Use HTTPS; if TLS ends at a proxy in front of the site, set Stats__TlsEndsAtProxy=true.");
            return;
        }

        if (!admin.Value.HasPassword)
        {
            await Forbidden();
            return;
        }

        Response.Headers.WWWAuthenticate = Challenge;
        await Problem(StatusCodes.Status401Unauthorized, "Admin credentials required", $"Use HTTP Basic auth as user '{AdminAccess.User}'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.Headers.CacheControl = "no-store";
        return Forbidden();
    }

    private Task Forbidden() =>
        Problem(StatusCodes.Status403Forbidden, "Served to loopback clients only",
            "Without a password the admin pages answer clients on this machine that call it localhost, 127.0.0.1 or [::1]. Set Stats__AdminPassword to open them to other clients with HTTP Basic auth.");

    private Task Problem(int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(Context);
}
