using BallOrleans.Grains.Stats;
using BallOrleans.Web.Operations;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Guards the stats page and APIs with the admin credential (<see cref="AdminAccess"/>), answering
/// refusals as problem details: 401 with a Basic challenge, or 403 when only loopback is served.
/// </summary>
public sealed class StatsAccessFilter(IOptions<StatsOptions> options) : IEndpointFilter
{
    public const string Challenge = "Basic realm=\"ball stats\", charset=\"UTF-8\"";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers.CacheControl = "no-store";
        var password = options.Value.AdminPassword;
        if (AdminAccess.IsAllowed(http, password))
        {
            return next(context);
        }

        if (string.IsNullOrEmpty(password))
        {
            return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status403Forbidden,
                title: "Stats are served to loopback clients only",
                detail: "Set Stats__AdminPassword to open them to other clients with HTTP Basic auth."));
        }

        http.Response.Headers.WWWAuthenticate = Challenge;
        return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status401Unauthorized,
            title: "Admin credentials required", detail: $"Use HTTP Basic auth as user '{AdminAccess.User}'."));
    }
}
