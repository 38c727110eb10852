using System;

namespace PiCluster.Steps.Kubernetes;

/// <summary>Compares Debian package versions the way dpkg does ([epoch:]upstream[-revision], '~' sorts first).</summary>
public static class DebianVersion
{
    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, with or after <paramref name="b"/>.</summary>
    public static int Compare(string a, string b)
    {
        var (ea, ua, ra) = Split(a);
        var (eb, ub, rb) = Split(b);
        if (ea != eb) return ea.CompareTo(eb);
        var c = ComparePart(ua, ub);
        return c != 0 ? c : ComparePart(ra, rb);
    }

    private static (long epoch, string upstream, string revision) Split(string version)
    {
        version = version.Trim();
        long epoch = 0;
        var colon = version.IndexOf(':');
        if (colon > 0 && long.TryParse(version.Substring(0, colon), out var e)) { epoch = e; version = version.Substring(colon + 1); }
        var dash = version.LastIndexOf('-');
        return dash < 0 ? (epoch, version, "") : (epoch, version.Substring(0, dash), version.Substring(dash + 1));
    }

    // dpkg's verrevcmp: alternate non-digit runs (letters before non-letters, '~' before everything) and digit runs.
    private static int ComparePart(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            var firstDiff = 0;
            while ((i < a.Length && !char.IsDigit(a[i])) || (j < b.Length && !char.IsDigit(b[j])))
            {
                var ac = Order(i < a.Length ? a[i] : '\0');
                var bc = Order(j < b.Length ? b[j] : '\0');
                if (ac != bc) return ac - bc;
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            while (i < a.Length && char.IsDigit(a[i]) && j < b.Length && char.IsDigit(b[j]))
            {
                if (firstDiff == 0) firstDiff = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && char.IsDigit(a[i])) return 1;
            if (j < b.Length && char.IsDigit(b[j])) return -1;
            if (firstDiff != 0) return firstDiff;
        }
        return 0;
    }

    private static int Order(char c) =>
        c == '\0' || char.IsDigit(c) ? 0 : char.IsLetter(c) ? c : c == '~' ? -1 : c + 256;
}
