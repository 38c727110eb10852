using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipes;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Security;

namespace PiCluster.Transport;

/// <summary>
/// The keys an ssh-agent holds (OpenSSH's agent protocol, on a Unix socket or Windows' named pipe), as SSH.NET key
/// sources: the agent signs each authentication, so the private key and its passphrase never reach this process.
/// </summary>
internal static class SshAgent
{
    private const byte AgentFailure = 5, RequestIdentities = 11, IdentitiesAnswer = 12, SignRequest = 13, SignResponse = 14;
    private const uint RsaSha256 = 2, RsaSha512 = 4;
    private const int MaxMessage = 256 * 1024; // the agent's own limit; more is a broken or hostile peer

    /// <summary>Where Win32-OpenSSH's agent listens.</summary>
    public const string WindowsPipe = @"\\.\pipe\openssh-ssh-agent";

    /// <summary>
    /// The agent to ask, as OpenSSH picks it: IdentityAgent of the ssh config ("none" turns the agent off,
    /// "SSH_AUTH_SOCK" means the variable), else SSH_AUTH_SOCK, else on Windows OpenSSH's named pipe. Null for none.
    /// </summary>
    public static string? Locate(string? identityAgent, Func<string, string?> environment, bool windows)
    {
        if (string.Equals(identityAgent, "none", StringComparison.OrdinalIgnoreCase)) return null;
        if (!string.IsNullOrEmpty(identityAgent) && identityAgent is not ("SSH_AUTH_SOCK" or "$SSH_AUTH_SOCK")) return identityAgent;
        var socket = environment("SSH_AUTH_SOCK");
        if (!string.IsNullOrEmpty(socket)) return socket;
        return windows ? WindowsPipe : null;
    }

    /// <summary>The agent's keys, in its order; empty when there is no agent at <paramref name="endpoint"/>.</summary>
    public static IReadOnlyList<AgentKey> Keys(string endpoint, TimeSpan timeout)
    {
        byte[] answer;
        try
        {
            answer = Exchange(endpoint, new[] { RequestIdentities }, timeout);
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException or UnauthorizedAccessException)
        {
            return Array.Empty<AgentKey>(); // no agent there: as ssh, go on without it
        }
        if (answer.Length == 0 || answer[0] != IdentitiesAnswer) return Array.Empty<AgentKey>();
        var reader = new Reader(answer, 1);
        var count = reader.UInt32();
        var keys = new List<AgentKey>();
        for (var i = 0; i < count; i++)
        {
            var blob = reader.Bytes();
            reader.Bytes(); // the comment
            var type = KeyType(blob);
            string[] algorithms = type switch
            {
                "ssh-rsa" => new[] { "rsa-sha2-512", "rsa-sha2-256" }, // never SHA-1: OpenSSH servers refuse ssh-rsa
                "ssh-ed25519" or "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521" => new[] { type },
                _ => Array.Empty<string>(), // certificates and security keys: not offered
            };
            if (algorithms.Length > 0) keys.Add(new AgentKey(endpoint, blob, algorithms, timeout));
        }
        return keys;
    }

    /// <summary>The key blob of an OpenSSH public key line ("type base64 comment"), or null.</summary>
    public static byte[]? PublicKeyBlob(string line)
    {
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return null;
        try { return Convert.FromBase64String(parts[1]); }
        catch (FormatException) { return null; }
    }

    private static string KeyType(byte[] blob)
    {
        try { return Encoding.ASCII.GetString(new Reader(blob, 0).Bytes()); }
        catch (InvalidDataException) { return ""; }
    }

    internal static byte[] Sign(string endpoint, byte[] blob, byte[] data, string algorithm, TimeSpan timeout)
    {
        var flags = algorithm switch { "rsa-sha2-256" => RsaSha256, "rsa-sha2-512" => RsaSha512, _ => 0u };
        var request = new List<byte> { SignRequest };
        Append(request, blob);
        Append(request, data);
        AppendUInt32(request, flags);
        byte[] answer;
        try
        {
            answer = Exchange(endpoint, request.ToArray(), timeout);
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException or UnauthorizedAccessException)
        {
            throw new SshAuthenticationException("ssh-agent could not be reached to sign: " + e.Message, e);
        }
        if (answer.Length == 0 || answer[0] == AgentFailure || answer[0] != SignResponse)
            throw new SshAuthenticationException("ssh-agent refused to sign with the key (was it confirmed, or removed meanwhile?)");
        // The signature string is itself "string format, string signature": what SSH.NET's own keys return.
        return new Reader(answer, 1).Bytes();
    }

    // One request and its answer, each framed as uint32 length + message, on a new connection to the agent.
    private static byte[] Exchange(string endpoint, byte[] message, TimeSpan timeout)
    {
        using var stream = Open(endpoint, timeout);
        var frame = new byte[4 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)message.Length);
        message.CopyTo(frame, 4);
        stream.Write(frame, 0, frame.Length);
        stream.Flush();
        var header = ReadExactly(stream, 4);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > MaxMessage) throw new IOException($"ssh-agent sent a message of {length} bytes");
        return ReadExactly(stream, (int)length);
    }

    private static Stream Open(string endpoint, TimeSpan timeout)
    {
        const string pipePrefix = @"\\.\pipe\";
        if (endpoint.StartsWith(pipePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var pipe = new NamedPipeClientStream(".", endpoint.Substring(pipePrefix.Length), PipeDirection.InOut);
            pipe.Connect((int)timeout.TotalMilliseconds);
            return pipe;
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(endpoint));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static byte[] ReadExactly(Stream stream, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = stream.Read(buffer, read, count - read);
            if (n == 0) throw new IOException("ssh-agent closed the connection");
            read += n;
        }
        return buffer;
    }

    private static void AppendUInt32(List<byte> to, uint value)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(four, value);
        to.AddRange(four.ToArray());
    }

    private static void Append(List<byte> to, byte[] value)
    {
        AppendUInt32(to, (uint)value.Length);
        to.AddRange(value);
    }

    private sealed class Reader(byte[] data, int offset)
    {
        private int _offset = offset;

        public uint UInt32()
        {
            if (_offset + 4 > data.Length) throw new InvalidDataException("truncated ssh-agent message");
            var value = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_offset, 4));
            _offset += 4;
            return value;
        }

        public byte[] Bytes()
        {
            var length = UInt32();
            if (length > data.Length - _offset) throw new InvalidDataException("truncated ssh-agent message");
            var value = data.AsSpan(_offset, (int)length).ToArray();
            _offset += (int)length;
            return value;
        }
    }
}

/// <summary>One key the agent holds: its public blob, and the signature algorithms it is offered with.</summary>
internal sealed class AgentKey : IPrivateKeySource
{
    public AgentKey(string endpoint, byte[] blob, IEnumerable<string> algorithms, TimeSpan timeout)
    {
        Blob = blob;
        HostKeyAlgorithms = algorithms.Select(a => (HostAlgorithm)new AgentSignature(a, endpoint, blob, timeout)).ToList();
    }

    /// <summary>The public key blob (as in an authorized_keys line, base64-decoded).</summary>
    public byte[] Blob { get; }

    public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; }

    private sealed class AgentSignature(string name, string endpoint, byte[] blob, TimeSpan timeout) : HostAlgorithm(name)
    {
        public override byte[] Data => blob;

        public override byte[] Sign(byte[] data) => SshAgent.Sign(endpoint, blob, data, Name, timeout);

        // A client only signs; host keys are checked by KnownHosts.
        public override bool VerifySignature(byte[] data, byte[] signature) => throw new NotSupportedException();
    }
}
