using System.Text;

namespace BallOrleans.Web.Bots;

/// <summary>
/// Removes lookaround assertions (<c>(?=…)</c>, <c>(?!…)</c>, <c>(?&lt;=…)</c>, <c>(?&lt;!…)</c>)
/// from a regular expression. They match no characters, so what remains matches wherever the
/// original does, and more: a prefilter the linear-time engine accepts. Hand-written because .NET
/// has no such transform; it only needs to tell escapes, character classes and groups apart.
/// </summary>
public static class Lookarounds
{
    public static string Strip(string pattern)
    {
        var result = new StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length;)
        {
            if (StartsLookaround(pattern, i))
            {
                i = AfterGroup(pattern, i);
                continue;
            }

            var next = AfterAtom(pattern, i);
            result.Append(pattern, i, next - i);
            i = next;
        }

        return result.ToString();
    }

    private static bool StartsLookaround(string p, int i) =>
        p.AsSpan(i).StartsWith("(?=") || p.AsSpan(i).StartsWith("(?!") || p.AsSpan(i).StartsWith("(?<=") || p.AsSpan(i).StartsWith("(?<!");

    // Past the group opening at i, nested groups, classes and escapes included.
    private static int AfterGroup(string p, int i)
    {
        var depth = 0;
        while (i < p.Length)
        {
            switch (p[i])
            {
                case '(': depth++; i++; break;
                case ')':
                    depth--;
                    i++;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
                default: i = AfterAtom(p, i); break;
            }
        }

        return i;
    }

    // Past one escape ("\x"), one character class ("[...]") or one plain character.
    private static int AfterAtom(string p, int i)
    {
        if (p[i] == '\\')
        {
            return Math.Min(i + 2, p.Length);
        }

        if (p[i] != '[')
        {
            return i + 1;
        }

        i++;
        if (i < p.Length && p[i] == '^')
        {
            i++;
        }

        if (i < p.Length && p[i] == ']')
        {
            i++; // a leading ']' is literal
        }

        while (i < p.Length && p[i] != ']')
        {
            i += p[i] == '\\' ? 2 : 1;
        }

        return Math.Min(i + 1, p.Length);
    }
}
