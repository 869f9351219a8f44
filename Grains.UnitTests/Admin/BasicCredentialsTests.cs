using BallOrleans.Web.Admin;

namespace BallOrleans.Tests.Admin;

public sealed class BasicCredentialsTests
{
    [Theory]
    [InlineData("admin", "secret", true)]
    [InlineData("admin", "secret ", false)]
    [InlineData("Admin", "secret", false)]
    [InlineData("admin", "", false)]
    public void Basic_credentials_need_user_admin_and_the_exact_password(string user, string password, bool accepted) =>
        Assert.Equal(accepted, BasicCredentials.Match("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")), "admin", "secret"));

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer abc")]
    [InlineData("Basic !!!")]
    [InlineData("Basic YWRtaW4=")] // "admin", no colon
    public void Malformed_authorization_headers_are_refused(string? header) =>
        Assert.False(BasicCredentials.Match(header, "admin", "secret"));
}
