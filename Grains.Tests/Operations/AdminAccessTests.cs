using System.Net;
using System.Text;
using BallOrleans.Web.Operations;
using Microsoft.AspNetCore.Http;

namespace BallOrleans.Tests.Operations;

public sealed class AdminAccessTests
{
    private static HttpContext Request(string remote, string? user = null, string? password = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (user is not null)
        {
            context.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        }

        return context;
    }

    [Fact]
    public void Without_a_password_only_loopback_is_let_in()
    {
        Assert.True(AdminAccess.IsAllowed(Request("127.0.0.1"), password: null));
        Assert.True(AdminAccess.IsAllowed(Request("::1"), password: ""));
        Assert.False(AdminAccess.IsAllowed(Request("198.51.100.4"), password: null));
    }

    [Fact]
    public void With_a_password_only_the_admin_credential_is_let_in_from_anywhere()
    {
        Assert.True(AdminAccess.IsAllowed(Request("198.51.100.4", "admin", "s3cret"), "s3cret"));
        Assert.False(AdminAccess.IsAllowed(Request("198.51.100.4", "admin", "wrong"), "s3cret"));
        Assert.False(AdminAccess.IsAllowed(Request("198.51.100.4", "root", "s3cret"), "s3cret"));
        Assert.False(AdminAccess.IsAllowed(Request("127.0.0.1"), "s3cret"));
    }
}
