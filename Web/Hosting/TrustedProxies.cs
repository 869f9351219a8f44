using BallOrleans.Web.Limits;
using BallOrleans.Web.Visits;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// Forwarded headers believed only from the ingress proxy, proven by its client certificate.
/// ASP.NET Core's forwarded-headers middleware reads <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c>, and runs only for requests whose connection presented a certificate
/// of <see cref="IngressOptions.ClientCaPath"/>; every other request keeps its socket's address,
/// whatever it claims. The client's address then feeds the new-visitor limit, the failed-login
/// throttle and the loopback-only admin pages.
/// </summary>
/// <remarks>
/// Why a client certificate and not a secret header: the proxy's private key never crosses the
/// network, while a header's secret travels with every request, in clear on a plain-HTTP hop,
/// and is replayable by anyone who saw one; the TLS hop also keeps the admin password off the pod
/// network; and ingress-nginx takes the certificate from a Secret with one annotation
/// (<c>proxy-ssl-secret</c>), where a custom request header needs a configuration snippet (off by
/// default) or a ConfigMap. Why not an address: pod addresses are reused, and a network plugin
/// that does not enforce NetworkPolicy lets any pod reach the site, so the framework's known
/// proxies and networks (loopback by default) are cleared.
/// </remarks>
public static class TrustedProxies
{
    /// <summary>ASP.NET Core's own switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>): it believes any peer.</summary>
    public const string FrameworkSwitch = "ForwardedHeaders_Enabled";

    public const string FrameworkSwitchMessage =
        "ASPNETCORE_FORWARDEDHEADERS_ENABLED believes X-Forwarded-For from anyone: unset it and let the ingress prove itself with a client certificate (Ingress__ClientCaPath)";

    /// <summary>The section of the settings that named proxies by address, which no longer counts as proof.</summary>
    public const string RetiredSection = "ForwardedHeaders";

    public const string RetiredSectionMessage =
        "ForwardedHeaders__* settings are gone: an address is no proof of a proxy. Give the ingress a client certificate and the site its CA in Ingress__ClientCaPath (docs/operations.md#trusted-proxies)";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<IngressOptions>>(new IngressValidation(configuration));
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<IngressOptions>>((forwarded, ingress) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = ingress.Value.ForwardLimit;
            // With both lists empty the middleware believes whoever sent the request; it runs only
            // for the proven proxy's requests, so that is the proxy. The framework's default, loopback,
            // would add any local process.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
        });
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngressOptions>>((kestrel, ingress) =>
        {
            if (!ingress.Value.TrustsProxy)
            {
                return;
            }

            var authority = IngressProxyAuthority.Load(ingress.Value.ClientCaPath!);
            kestrel.ConfigureHttpsDefaults(https =>
            {
                // The HTTPS endpoints are the proxy's door: no certificate of its CA, no handshake.
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => authority.Accepts(certificate);
            });
        });
        // A loopback peer is not the proxy once the proxy proves itself (it would be anyone on the
        // machine, or a forged X-Forwarded-For of 127.0.0.1 if the proof were missing).
        services.AddOptions<NewVisitorLimitOptions>().PostConfigure<IOptions<IngressOptions>>((limits, ingress) =>
            limits.ExemptLoopback &= !ingress.Value.TrustsProxy);
        return services;
    }

    /// <summary>The forwarded-headers middleware, first in the pipeline, for the proven proxy's requests only.</summary>
    public static IApplicationBuilder UseTrustedProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<IngressOptions>>().Value.TrustsProxy)
        {
            app.UseWhen(IsFromProvenProxy, proxied => proxied.UseForwardedHeaders());
        }

        return app;
    }

    /// <summary>
    /// Kestrel sets a connection's client certificate only after <see cref="IngressProxyAuthority.Accepts"/>
    /// let the handshake finish, and asks for one only when a proxy CA is configured.
    /// </summary>
    public static bool IsFromProvenProxy(HttpContext context) => context.Connection.ClientCertificate is not null;

    private sealed class IngressValidation(IConfiguration configuration) : IValidateOptions<IngressOptions>
    {
        public ValidateOptionsResult Validate(string? name, IngressOptions options)
        {
            var failures = new List<string>();
            if (string.Equals(configuration[FrameworkSwitch], "true", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add(FrameworkSwitchMessage);
            }

            // Silently ignored, a proxy named by address would make every client look like the proxy.
            if (configuration.GetSection(RetiredSection).GetChildren().Any())
            {
                failures.Add(RetiredSectionMessage);
            }

            if (options.TrustsProxy && !IngressProxyAuthority.TryLoad(options.ClientCaPath!, out _, out var why))
            {
                failures.Add(why);
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
