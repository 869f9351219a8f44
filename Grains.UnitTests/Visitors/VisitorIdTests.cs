using BallOrleans.Grains.Visitors;

namespace BallOrleans.Tests.Visitors;

public sealed class VisitorIdTests
{
    [Fact]
    public void Minted_ids_are_22_url_safe_characters_and_never_all_digits()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => VisitorId.NewId()).ToList();

        Assert.All(ids, id =>
        {
            Assert.Equal(22, id.Length);
            Assert.True(VisitorId.IsWellFormed(id));
            Assert.Contains(id, c => !char.IsAsciiDigit(c));
            Assert.All(id, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        });
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1234567890123456789012")]          // all digits
    [InlineData("AAAAAAAAAAAAAAAAAAAAAB")]          // spare bits set: not the canonical spelling
    [InlineData("AAAAAAAAAAAAAAAAAAAAA=")]          // padding
    [InlineData("AAAAAAAAAAAAAAAAAAAA+/")]          // base64, not base64url
    [InlineData("' OR 1=1; DROP TABLE x--")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")]         // 23 characters
    public void Anything_else_is_not_an_id(string value) => Assert.False(VisitorId.IsWellFormed(value));
}
