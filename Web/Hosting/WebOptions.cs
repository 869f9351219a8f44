using BallOrleans.Grains.Hosting;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;
using BallOrleans.Web.Limits;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Web.Hosting;

/// <summary>Every setting of the web process, bound and validated once: the shared ones (<see cref="BallOptions"/>) and the web tier's own.</summary>
public static class WebOptions
{
    public static IServiceCollection AddBallWebOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBallOptions(configuration);
        services.AddValidatedOptions<VisitOptions>(configuration, VisitOptions.Section);
        services.AddValidatedOptions<NewVisitorLimitOptions>(configuration, NewVisitorLimitOptions.Section);
        services.AddValidatedOptions<VisitorCookieOptions>(configuration, VisitorCookieOptions.Section);
        services.AddValidatedOptions<BallPageOptions>(configuration, BallPageOptions.Section);
        services.AddValidatedOptions<AdminOptions>(configuration, AdminOptions.Section);
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminPasswordPolicy>();
        services.AddValidatedOptions<FailedLoginOptions>(configuration, FailedLoginOptions.Section);
        services.AddValidatedOptions<IngressOptions>(configuration, IngressOptions.Section);
        services.AddTrustedProxies(configuration);
        return services;
    }
}
