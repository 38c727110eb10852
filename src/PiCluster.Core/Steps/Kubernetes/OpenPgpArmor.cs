using System;
using System.Linq;
using System.Text;

namespace PiCluster.Steps.Kubernetes;

/// <summary>What <c>gpg --dearmor</c> does to a public key block, for keys read from a file on this machine.</summary>
public static class OpenPgpArmor
{
    /// <summary>The binary key: the armored block's base64 body decoded; binary input is returned as it is.</summary>
    /// <exception cref="FormatException">The armor is damaged.</exception>
    public static byte[] Dearmor(byte[] key)
    {
        var text = Encoding.ASCII.GetString(key);
        var begin = text.IndexOf("-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal);
        if (begin < 0) return key;
        var lines = text.Substring(begin).Replace("\r\n", "\n").Split('\n').Skip(1).ToList();
        var end = lines.FindIndex(l => l.StartsWith("-----END PGP", StringComparison.Ordinal));
        if (end < 0) throw new FormatException("the key's armor has no END line");
        var body = lines.Take(end).ToList();
        var blank = body.FindIndex(l => l.Trim().Length == 0); // armor headers ("Version: ...") end at a blank line
        if (blank >= 0 && body.Take(blank).All(l => l.Contains(':'))) body = body.Skip(blank + 1).ToList();
        body = body.Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        // The last line may be the CRC-24 checksum, "=" and four base64 characters.
        if (body.Count > 0 && body[body.Count - 1].Length == 5 && body[body.Count - 1][0] == '=') body.RemoveAt(body.Count - 1);
        var base64 = string.Concat(body);
        return Convert.FromBase64String(base64);
    }
}
