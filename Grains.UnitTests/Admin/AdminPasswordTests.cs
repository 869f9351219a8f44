using BallOrleans.Tests.Deploy;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Admin;

/// <summary>A guessable admin password never goes live: the site refuses to start with one.</summary>
public sealed class AdminPasswordTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("sixteen chars!!!", null)]
    [InlineData("correct horse battery staple", null)] // the test sites' password
    [InlineData("fifteen chars!!", AdminPasswordPolicy.TooShort)]
    [InlineData("aaaaaaaaaaaaaaaa", AdminPasswordPolicy.TooFewDistinctCharacters)]
    [InlineData("abcabcabcabcabcabcabc", AdminPasswordPolicy.TooFewDistinctCharacters)]
    [InlineData("Change-Me-Change-Me-2024", AdminPasswordPolicy.Placeholder)]
    [InlineData("at least sixteen characters", AdminPasswordPolicy.Placeholder)]
    [InlineData("my-p4ssword-PASSWORD-long", AdminPasswordPolicy.Placeholder)]
    public void A_password_is_long_varied_and_no_placeholder_or_there_is_none(string? password, string? refusal)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Stats:AdminPassword"] = password })
            .Build();
        using var services = new ServiceCollection().AddBallWebOptions(configuration).BuildServiceProvider();

        var read = Record.Exception(() => services.GetRequiredService<IOptions<AdminOptions>>().Value);

        if (refusal is null)
        {
            Assert.Null(read);
        }
        else
        {
            Assert.Equal(refusal, Assert.Single(Assert.IsType<OptionsValidationException>(read).Failures));
        }
    }

    [Fact]
    public void The_placeholder_in_the_example_secret_is_refused()
    {
        var example = Manifests.Example("Secret", "ball-postgres").Get("stringData").Text("admin-password");

        Assert.False(string.IsNullOrEmpty(example));
        Assert.NotNull(AdminPasswordPolicy.Problem(example));
    }
}
