using System.Buffers.Text;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Stats;

namespace BallOrleans.Tests.Stats;

public sealed class VisitorCursorTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly VisitorSort ByViews = new(VisitorSortKey.Views, Descending: true);
    private static readonly VisitorPosition Position = new(42, Enumerable.Range(100, 16).Select(i => (byte)i).ToArray());

    [Fact]
    public void A_cursor_round_trips_for_its_own_listing()
    {
        var cursor = VisitorCursor.Encode(Key, ByViews, BallColor.Blue, Position);

        var decoded = VisitorCursor.Decode(Key, cursor, ByViews, BallColor.Blue, out var problem);

        Assert.Null(problem);
        Assert.Equal(Position.Value, decoded!.Value);
        Assert.Equal(Position.Pid, decoded.Pid);
    }

    [Fact]
    public void Every_single_bit_flip_is_refused()
    {
        var bytes = Base64Url.DecodeFromChars(VisitorCursor.Encode(Key, ByViews, null, Position));
        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var forged = (byte[])bytes.Clone();
            forged[bit / 8] ^= (byte)(1 << (bit % 8));

            Assert.Null(VisitorCursor.Decode(Key, Base64Url.EncodeToString(forged), ByViews, null, out var problem));
            Assert.NotNull(problem);
        }
    }

    [Fact]
    public void A_cursor_is_refused_under_another_key_sort_or_color()
    {
        var cursor = VisitorCursor.Encode(Key, ByViews, BallColor.Red, Position);
        var otherKey = Key.Select(b => (byte)(b ^ 0xff)).ToArray();

        Assert.Null(VisitorCursor.Decode(otherKey, cursor, ByViews, BallColor.Red, out _));
        Assert.Null(VisitorCursor.Decode(Key, cursor, ByViews with { Descending = false }, BallColor.Red, out _));
        Assert.Null(VisitorCursor.Decode(Key, cursor, ByViews, BallColor.Blue, out _));
        Assert.Null(VisitorCursor.Decode(Key, cursor, ByViews, null, out _));
        Assert.Null(VisitorCursor.Decode(Key, "", ByViews, BallColor.Red, out _));
        Assert.Null(VisitorCursor.Decode(Key, new string('A', 5000), ByViews, BallColor.Red, out _));
    }
}
