using System;

namespace PiCluster.Workers;

/// <summary>
/// The run's bootstrap token and where workers discover the cluster with it. The secret stays out of
/// <see cref="ToString"/> (plans print it); it goes only into the JoinConfiguration, on the worker's stdin.
/// </summary>
public sealed class JoinToken
{
    /// <summary>Creates the token's record.</summary>
    /// <param name="apiServerEndpoint">host:port of the API server, as <c>kubeadm token create --print-join-command</c> printed it.</param>
    /// <param name="token">The whole token, id.secret.</param>
    /// <param name="caPin">The discovery CA pin, checked against the leader's ca.crt.</param>
    public JoinToken(string apiServerEndpoint, string token, string caPin)
    {
        ApiServerEndpoint = apiServerEndpoint;
        Token = token;
        CaPin = caPin;
    }

    /// <summary>host:port of the API server.</summary>
    public string ApiServerEndpoint { get; }

    /// <summary>The whole token, id.secret: a secret.</summary>
    public string Token { get; }

    /// <summary>The public part of the token, which may be shown and passed to <c>kubeadm token delete</c>.</summary>
    public string Id => Token.Split('.')[0];

    /// <summary>The discovery CA pin, <c>sha256:&lt;hex&gt;</c>.</summary>
    public string CaPin { get; }

    /// <inheritdoc />
    public override string ToString() => $"bootstrap token {Id} for {ApiServerEndpoint}";
}
