using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// The rules for where packages and their signing key come from, shared by the cluster file's validator, the cmdlet
/// parameters and the steps: a repository URL that cannot smuggle anything into an apt sources line, a signing key that
/// cannot travel over plain HTTP unpinned, and a key file that really is an OpenPGP public key.
/// </summary>
public static class PackageSource
{
    /// <summary>The largest key file PiCluster accepts (real repository keys are a few KiB).</summary>
    public const int MaxKeyBytes = 64 * 1024;

    private const string PublicBlock = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

    /// <summary>
    /// Checks a repository or key URL: absolute http(s), a host, no user or password, and no character that could end
    /// a field of an apt sources line or start another (whitespace, control characters, quotes, brackets, '#').
    /// </summary>
    /// <returns>What is wrong, as a sentence naming <paramref name="what"/>; null when the URL is usable.</returns>
    public static string? CheckUrl(string value, string what, out Uri? uri)
    {
        uri = null;
        // A control character (a line break) is named first: it is the injection, the rest is noise around it.
        var bad = value.ToList().FindIndex(char.IsControl);
        if (bad < 0) bad = value.ToList().FindIndex(c => char.IsWhiteSpace(c) || c > '~' || "\"'`[]<>{}()\\^|#".IndexOf(c) >= 0);
        if (bad >= 0)
            return $"{what} '{Printable(value)}' contains {Describe(value[bad])}: write a plain http(s) URL without spaces, quotes, brackets or '#'.";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
            return $"{what} '{value}' is not an absolute http(s) URL: write one like https://pkgs.k8s.io/core:/stable:/v1.34/deb/.";
        if (parsed.UserInfo.Length > 0 || parsed.Authority.Contains('@'))
            return $"{what} '{Redacted(parsed)}' has a user name or password in it: apt would write it into a world-readable sources file; use an apt auth.conf file instead.";
        if (parsed.Host.Length == 0)
            return $"{what} '{value}' has no host name.";
        if (parsed.Query.Length > 0)
            return $"{what} '{value}' has a query ('?...'): an apt repository URL is a plain path.";
        uri = parsed;
        return null;
    }

    /// <summary>
    /// Checks where the signing key comes from, for a repository at <paramref name="repository"/>: a key URL must be
    /// https, or http with a pinned <paramref name="fingerprint"/>; without a key the repository's Release.key is used,
    /// which for an http repository needs a fingerprint too. A local key file is checked by <see cref="ReadKeyFile"/>.
    /// </summary>
    /// <returns>What is wrong; null when the key's source is acceptable.</returns>
    public static string? CheckKeySource(Uri repository, string? key, string? fingerprint, string keyWhat, string fingerprintWhat)
    {
        var pinned = !string.IsNullOrEmpty(fingerprint);
        if (string.IsNullOrEmpty(key))
            return repository.Scheme == Uri.UriSchemeHttp && !pinned
                ? $"The repository {repository.AbsoluteUri} is plain http and no {keyWhat} is given, so its Release.key would be fetched over http, where anyone on the way can swap key and packages together: give {keyWhat} as a local file (or an https URL), or pin the key with {fingerprintWhat}."
                : null;
        if (!IsUrl(key!))
            return key!.Any(char.IsControl) ? $"{keyWhat} '{Printable(key!)}' contains a control character: give the key file's plain path." : null;
        var problem = CheckUrl(key!, keyWhat, out var keyUri);
        if (problem is not null) return problem;
        if (keyUri!.Scheme == Uri.UriSchemeHttp && !pinned)
            return $"{keyWhat} '{key}' is a plain http URL: anyone on the way can swap the key, and with it every package. Give the key as a local file or an https URL, or pin it with {fingerprintWhat}.";
        return null;
    }

    /// <summary>
    /// The rules for the cluster file's <c>kubernetes.packageRepository</c>, <c>repositoryKey</c> and
    /// <c>repositoryKeyFingerprint</c>, as (field, message) pairs; a local key file is read and checked here, so a wrong
    /// file stops the load before any node is contacted.
    /// </summary>
    /// <param name="repository">packageRepository as written (empty: pkgs.k8s.io).</param>
    /// <param name="key">repositoryKey as written (empty: the repository's Release.key).</param>
    /// <param name="fingerprint">repositoryKeyFingerprint as written (may be empty).</param>
    /// <param name="resolvePath">Turns a key path as written into a local path (relative to the cluster file).</param>
    public static IReadOnlyList<(string Field, string Message)> CheckClusterFields(string repository, string key, string fingerprint, Func<string, string> resolvePath)
    {
        var problems = new List<(string, string)>();
        if (fingerprint.Length > 0 && CheckFingerprint(fingerprint, "repositoryKeyFingerprint") is { } badFingerprint)
        {
            problems.Add(("repositoryKeyFingerprint", badFingerprint));
            fingerprint = "";
        }
        Uri? repositoryUri = new("https://pkgs.k8s.io/");
        if (repository.Length > 0 && CheckUrl(repository, "packageRepository", out repositoryUri) is { } badRepository)
            problems.Add(("packageRepository", badRepository));
        // The key's own rules hold whatever the repository is; the http rule needs a usable repository URL.
        var badSource = key.Length > 0 || repositoryUri is not null
            ? CheckKeySource(repositoryUri ?? new Uri("https://pkgs.k8s.io/"), key, fingerprint, "repositoryKey", "repositoryKeyFingerprint")
            : null;
        if (badSource is not null)
            problems.Add((key.Length == 0 ? "packageRepository" : "repositoryKey", badSource));
        else if (key.Length > 0 && !IsUrl(key))
        {
            var path = resolvePath(key);
            if (!File.Exists(path))
                problems.Add(("repositoryKey", $"repositoryKey '{Printable(key)}' does not exist: give the path (relative to the cluster file) of the repository's public signing key, or an https URL."));
            else
            {
                try { ReadKeyFile(path, $"repositoryKey '{Printable(key)}'", fingerprint); }
                catch (FormatException e) { problems.Add(("repositoryKey", e.Message)); }
            }
        }
        return problems;
    }

    /// <summary>Checks a pinned key fingerprint: 40 (v4) or 64 (v5/v6) hexadecimal digits, spaces allowed.</summary>
    /// <returns>What is wrong; null when it is well formed.</returns>
    public static string? CheckFingerprint(string value, string what)
    {
        var normalized = NormalizeFingerprint(value);
        return normalized.Length is 40 or 64 && normalized.All(Uri.IsHexDigit)
            ? null
            : $"{what} '{Printable(value)}' is not an OpenPGP key fingerprint: write the 40 hexadecimal digits gpg --show-keys prints (spaces allowed).";
    }

    /// <summary>The fingerprint in upper case without spaces, as gpg prints it in --with-colons listings.</summary>
    public static string NormalizeFingerprint(string value) => new string(value.Where(c => c != ' ').ToArray()).ToUpperInvariant();

    /// <summary>Whether a key location is a URL (anything with a scheme) rather than a local path.</summary>
    public static bool IsUrl(string key) => UrlStart.IsMatch(key);

    private static readonly System.Text.RegularExpressions.Regex UrlStart = new("^[A-Za-z][A-Za-z0-9+.-]*://", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Reads and checks a local key file: at most <see cref="MaxKeyBytes"/>, an OpenPGP public key (ASCII armoured, or
    /// binary starting with a public-key packet) that holds no secret key, and, when <paramref name="fingerprint"/> is
    /// given, whose primary keys all have that fingerprint.
    /// </summary>
    /// <param name="path">The local file.</param>
    /// <param name="what">How messages name it, e.g. "repositoryKey 'keys/release.asc'".</param>
    /// <param name="fingerprint">The pinned fingerprint, if any.</param>
    /// <returns>The key in binary form (dearmored), ready for a signed-by keyring.</returns>
    /// <exception cref="FormatException">The file is not an acceptable public key; the message says why.</exception>
    public static byte[] ReadKeyFile(string path, string what, string? fingerprint = null)
    {
        byte[] bytes;
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > MaxKeyBytes)
                throw new FormatException($"{what} is {stream.Length} bytes; a repository's public key is a few KiB (at most {MaxKeyBytes / 1024} KiB accepted). Give the repository's signing key.");
            bytes = new byte[stream.Length];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = stream.Read(bytes, read, bytes.Length - read);
                if (n == 0) break;
                read += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new FormatException($"{what} cannot be read: {e.Message}", e);
        }
        return CheckKey(bytes, what, fingerprint);
    }

    /// <summary>Checks key bytes (see <see cref="ReadKeyFile"/>); <paramref name="what"/> names them in messages.</summary>
    /// <returns>The key in binary form.</returns>
    /// <exception cref="FormatException">Not an acceptable public key.</exception>
    public static byte[] CheckKey(byte[] bytes, string what, string? fingerprint = null)
    {
        if (bytes.Length > MaxKeyBytes)
            throw new FormatException($"{what} is {bytes.Length} bytes, more than the {MaxKeyBytes / 1024} KiB a public key may have.");
        var text = Encoding.ASCII.GetString(bytes);
        if (text.Contains("PRIVATE KEY"))
            throw new FormatException($"{what} is a private key ({(text.Contains("OPENSSH PRIVATE KEY") || text.Contains("BEGIN RSA PRIVATE") ? "SSH" : text.Contains("PGP PRIVATE KEY") ? "OpenPGP" : "PEM")}), not the repository's public signing key; it is never copied to the nodes. Give the key the repository publishes (Release.key).");
        byte[] binary;
        if (text.TrimStart().StartsWith(PublicBlock, StringComparison.Ordinal))
        {
            try { binary = OpenPgpArmor.Dearmor(bytes); }
            catch (FormatException e) { throw new FormatException($"{what} has a damaged armour: {e.Message}.", e); }
        }
        else if (bytes.Length > 0 && PacketTag(bytes[0]) is 5 or 6) // a secret key (5) is refused below, by name
            binary = bytes;
        else
            throw new FormatException($"{what} is not an OpenPGP public key: it must start with '{PublicBlock}' or, in binary form, with a public-key packet. Give the key the repository publishes (Release.key).");

        var primaries = new List<byte[]>();
        foreach (var (tag, body) in Packets(binary, what))
        {
            if (tag is 5 or 7)
                throw new FormatException($"{what} holds a secret key packet: it is a private key, not the repository's public signing key, and is never copied to the nodes.");
            if (tag == 6) primaries.Add(body);
        }
        if (primaries.Count == 0 || PacketTag(binary[0]) != 6)
            throw new FormatException($"{what} does not start with an OpenPGP public-key packet.");
        if (!string.IsNullOrEmpty(fingerprint))
        {
            var wanted = NormalizeFingerprint(fingerprint!);
            var found = primaries.Select(Fingerprint).ToList();
            if (found.Any(f => f != wanted))
                throw new FormatException($"{what} has the key fingerprint {string.Join(", ", found)}, not the pinned {wanted}.");
        }
        return binary;
    }

    /// <summary>The fingerprint of a public-key packet body (v4: SHA-1; v5/v6: SHA-256), upper-case hex.</summary>
    public static string Fingerprint(byte[] body)
    {
        var version = body.Length > 0 ? body[0] : 0;
        byte[] hash;
        if (version == 4)
        {
            var data = new byte[3 + body.Length];
            data[0] = 0x99;
            data[1] = (byte)(body.Length >> 8);
            data[2] = (byte)body.Length;
            body.CopyTo(data, 3);
            using var sha1 = SHA1.Create();
            hash = sha1.ComputeHash(data);
        }
        else
        {
            var data = new byte[5 + body.Length];
            data[0] = version == 5 ? (byte)0x9A : (byte)0x9B;
            data[1] = (byte)(body.Length >> 24);
            data[2] = (byte)(body.Length >> 16);
            data[3] = (byte)(body.Length >> 8);
            data[4] = (byte)body.Length;
            body.CopyTo(data, 5);
            using var sha256 = SHA256.Create();
            hash = sha256.ComputeHash(data);
        }
        return string.Concat(hash.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
    }

    // RFC 9580 4.2: bit 7 set; bit 6 picks the new format (tag in the low 6 bits) or the old (tag in bits 5-2).
    private static int PacketTag(byte first) => (first & 0x80) == 0 ? -1 : (first & 0x40) != 0 ? first & 0x3F : (first >> 2) & 0x0F;

    private static IEnumerable<(int Tag, byte[] Body)> Packets(byte[] data, string what)
    {
        var at = 0;
        while (at < data.Length)
        {
            var first = data[at++];
            var tag = PacketTag(first);
            if (tag < 0) throw new FormatException($"{what} is not a sequence of OpenPGP packets (byte {at - 1}).");
            long length;
            if ((first & 0x40) != 0)
            {
                if (at >= data.Length) throw Truncated(what);
                int o1 = data[at++];
                if (o1 < 192) length = o1;
                else if (o1 < 224)
                {
                    if (at >= data.Length) throw Truncated(what);
                    length = ((o1 - 192) << 8) + data[at++] + 192;
                }
                else if (o1 == 255)
                {
                    if (at + 4 > data.Length) throw Truncated(what);
                    length = ((long)data[at] << 24) | ((long)data[at + 1] << 16) | ((long)data[at + 2] << 8) | data[at + 3];
                    at += 4;
                }
                else throw new FormatException($"{what} uses partial packet lengths, which no key packet has.");
            }
            else
            {
                var lengthType = first & 0x03;
                var size = lengthType switch { 0 => 1, 1 => 2, 2 => 4, _ => 0 };
                if (at + size > data.Length) throw Truncated(what);
                length = 0;
                for (var i = 0; i < size; i++) length = (length << 8) | data[at++];
                if (lengthType == 3) length = data.Length - at;
            }
            if (length > data.Length - at) throw Truncated(what);
            var body = new byte[length];
            Array.Copy(data, at, body, 0, length);
            at += (int)length;
            yield return (tag, body);
        }
    }

    private static FormatException Truncated(string what) => new($"{what} ends in the middle of an OpenPGP packet.");

    private static string Describe(char c) => c switch
    {
        '\n' => "a line break",
        '\r' => "a carriage return",
        '\t' => "a tab",
        ' ' => "a space",
        _ when char.IsControl(c) || c > '~' => $"the character U+{(int)c:X4}",
        _ => $"'{c}'",
    };

    // Messages show a hostile value on one line.
    internal static string Printable(string value) =>
        new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private static string Redacted(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
