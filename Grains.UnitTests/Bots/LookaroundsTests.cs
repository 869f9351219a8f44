using BallOrleans.Web.Bots;

namespace BallOrleans.Tests.Bots;

public sealed class LookaroundsTests
{
    [Theory]
    [InlineData("(?<! cu)bots?(?:\\b|_)", "bots?(?:\\b|_)")]
    [InlineData("(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))", "google")]
    [InlineData("(?:^|[^g])news(?!sapphire)", "(?:^|[^g])news")]
    [InlineData("java(?=/)", "java")]
    [InlineData("a[(?!)]b\\(?!c", "a[(?!)]b\\(?!c")] // a class and an escaped parenthesis hold no lookaround
    [InlineData("[]?!(]x(?<name>y)", "[]?!(]x(?<name>y)")]
    public void Strip_removes_lookarounds_and_nothing_else(string pattern, string stripped) =>
        Assert.Equal(stripped, Lookarounds.Strip(pattern));
}
