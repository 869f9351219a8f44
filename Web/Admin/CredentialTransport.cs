namespace BallOrleans.Web.Admin;

/// <summary>
/// Whether a request may carry the admin password: over HTTPS (also as the proven ingress proxy
/// reports it in <c>X-Forwarded-Proto</c>), from a loopback client, or over plain HTTP when
/// <see cref="AdminOptions.TlsEndsAtProxy"/> says a proxy in front decrypted it. HTTP Basic
/// sends the password in clear: over plain HTTP from elsewhere, anyone on the path reads it.
/// </summary>
public static class CredentialTransport
{
    public static bool IsPrivate(HttpContext context, AdminOptions admin) =>
        context.Request.IsHttps || admin.TlsEndsAtProxy || LoopbackOnly.IsLoopbackClient(context);
}
