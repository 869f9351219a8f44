using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// ASP.NET Core's forwarded-headers middleware, believing only the proxies in
/// <see cref="TrustedProxyOptions"/>: the client's address then comes from <c>X-Forwarded-For</c>
/// for the new-visitor limit, the failed-login throttle and the loopback-only admin pages, and
/// <c>X-Forwarded-Proto</c> says whether the client used HTTPS. Anyone else's headers change nothing.
/// </summary>
public static class TrustedProxies
{
    /// <summary>ASP.NET Core's own switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>): it believes any peer.</summary>
    public const string FrameworkSwitch = "ForwardedHeaders_Enabled";

    public const string FrameworkSwitchMessage =
        "ASPNETCORE_FORWARDEDHEADERS_ENABLED believes X-Forwarded-For from anyone: unset it and name the proxies in ForwardedHeaders__KnownNetworks__0 (CIDR) or ForwardedHeaders__KnownProxies__0";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<TrustedProxyOptions>>(new TrustedProxyValidation(configuration));
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = trusted.Value.ForwardLimit;
            // The framework trusts loopback by default; here only what the operator named counts.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }

    /// <summary>The middleware, first in the pipeline, when any proxy is trusted.</summary>
    public static IApplicationBuilder UseTrustedProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value.Any)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    private sealed class TrustedProxyValidation(IConfiguration configuration) : IValidateOptions<TrustedProxyOptions>
    {
        public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options)
        {
            var failures = new List<string>();
            if (string.Equals(configuration[FrameworkSwitch], "true", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add(FrameworkSwitchMessage);
            }

            failures.AddRange(options.KnownProxies.Where(p => !IPAddress.TryParse(p, out _))
                .Select(p => $"ForwardedHeaders:KnownProxies: '{p}' is not an IP address"));
            failures.AddRange(options.KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _))
                .Select(n => $"ForwardedHeaders:KnownNetworks: '{n}' is not a network in CIDR notation (such as 10.244.0.0/16)"));
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
