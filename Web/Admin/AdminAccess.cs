using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Admin;

/// <summary>
/// Who may see the admin pages (the stats, their APIs, the dashboard, the metrics): one
/// authentication scheme (<see cref="AdminBasicHandler"/>) and one policy, applied to the
/// endpoints with <c>RequireAuthorization(AdminAccess.Policy)</c>.
/// </summary>
public static class AdminAccess
{
    public const string Scheme = "AdminBasic";
    public const string Policy = "Admin";
    public const string User = "admin";

    public static IServiceCollection AddAdminAccess(this IServiceCollection services)
    {
        // With one scheme registered, ASP.NET Core would make it the default and authenticate
        // every request with it, the ball page included; only the admin endpoints need it.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddSingleton<FailedLoginThrottle>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AdminBasicHandler>(Scheme, displayName: null, _ => { });
        services.AddAuthorization();
        // The admin credential, or, when no password is set, a loopback client calling this machine by name.
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<AdminOptions>>((authorization, admin) =>
            authorization.AddPolicy(Policy, policy =>
            {
                policy.AddAuthenticationSchemes(Scheme);
                if (admin.Value.HasPassword)
                {
                    policy.RequireAuthenticatedUser();
                }
                else
                {
                    policy.RequireAssertion(context => context.Resource is HttpContext http && LoopbackOnly.Allows(http));
                }
            }));
        return services;
    }
}
