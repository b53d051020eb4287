# The PowerShell way, end to end, as a vendor on Windows runs it: the simulator's .exe from the
# release zip, the official SDK (meetgradient/Synthesize-SDK-PS) pointed at it with
# Set-PSConfiguration, one of the SDK's integration templates run as Gradient runs them, and Pester
# asserting what the partner would see. Nothing here needs Rust.
#
#   $env:SYNTH_SIM_BIN = 'C:\tools\synthesize-sim\synthesize-sim.exe'   # from the release .zip
#   $env:SYNTH_SDK_PATH = 'C:\src\Synthesize-SDK-PS'                    # git clone of the SDK
#   Invoke-Pester .\examples\powershell\SdkTemplate.Tests.ps1
#
# Not run by this repository's CI: its machines have no PowerShell. Integration.Tests.ps1 beside
# this file is the same test written against the HTTP API alone, without the SDK.
#Requires -Version 7.0
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }

BeforeAll {
    $bin = if ($env:SYNTH_SIM_BIN) { $env:SYNTH_SIM_BIN } else { 'synthesize-sim.exe' }
    $script:Sdk = $env:SYNTH_SDK_PATH
    if (-not $script:Sdk -or -not (Test-Path (Join-Path $script:Sdk 'PSGradient'))) {
        throw 'Set SYNTH_SDK_PATH to a clone of meetgradient/Synthesize-SDK-PS'
    }

    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    $script:Base = "http://127.0.0.1:$port"
    # A database of its own in the temporary folder, as a Windows path.
    $script:Db = Join-Path ([System.IO.Path]::GetTempPath()) "synthesize-sim-$port.db"
    $script:Sim = Start-Process -FilePath $bin -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path ([System.IO.Path]::GetTempPath()) "synthesize-sim-$port.log") `
        -ArgumentList @('--port', $port, '--db', "`"$script:Db`"", '--reset', '--quiet')
    $deadline = (Get-Date).AddSeconds(30)
    while ($true) {
        try { Invoke-RestMethod "$script:Base/sim/health" | Out-Null; break }
        catch {
            if ((Get-Date) -gt $deadline) { throw 'the simulator did not start' }
            Start-Sleep -Milliseconds 100
        }
    }

    function Invoke-Sim([string]$Method, [string]$Path, $Body) {
        $params = @{ Method = $Method; Uri = "$script:Base/sim$Path"; ContentType = 'application/json' }
        if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 10 -Compress) }
        Invoke-RestMethod @params
    }

    # The partner's side: disconnect the seeded integration, Connect, Generate API Token.
    $info = Invoke-Sim GET '/info'
    $script:Integration = (@(Invoke-Sim GET '/integrations') | Select-Object -First 1).id
    Invoke-Sim POST "/integrations/$script:Integration/disconnect" | Out-Null
    Invoke-Sim POST "/integrations/$script:Integration/connect" | Out-Null
    $generated = Invoke-Sim POST "/integrations/$script:Integration/token"
    $script:VendorKey = $info.demoKeys.vendorApiKey
    $script:PartnerKey = $generated.partnerApiKey

    # The SDK, pointed here instead of https://app.usegradient.com.
    Import-Module (Join-Path $script:Sdk 'PSGradient') -Force
    . (Join-Path $script:Sdk 'PSGradient/GradientHelpers/PSBuildGradientToken.ps1')
    $token = BuildGradientToken $script:VendorKey $script:PartnerKey
    Set-PSConfiguration $script:Base '' '' @{ 'Gradient-Token' = $token }
}

AfterAll {
    if ($script:Sim -and -not $script:Sim.HasExited) { Stop-Process -Id $script:Sim.Id }
    Remove-Item -ErrorAction SilentlyContinue "$script:Db", "$script:Db-wal", "$script:Db-shm"
}

Describe 'The SDK against synthesize-sim' {
    It 'authenticates with the token the partner generated' {
        $vendor = Get-PSVendor
        $vendor.data.name | Should -Not -BeNullOrEmpty
    }

    It "runs a template's update-status action unchanged but for its base URL" {
        # The templates hard-code the production URL in PSInit.ps1 and offer no setting: a copy with
        # that one literal replaced. (docs/production-url.md runs them with no edit at all, over --tls.)
        $template = Join-Path $script:Sdk 'integrations/Addigy'
        $copy = Join-Path $script:Sdk 'integrations/Addigy-synthesize-sim'
        Copy-Item $template $copy -Recurse -Force
        try {
            $init = Join-Path $copy 'PSInit.ps1'
            (Get-Content $init -Raw).Replace('https://app.usegradient.com', $script:Base) | Set-Content $init
            # update-status talks to Gradient only; the Addigy settings are checked, never used.
            @("VENDOR_API_KEY=$script:VendorKey", "PARTNER_API_KEY=$script:PartnerKey",
              'CLIENT_ID=unused', 'CLIENT_SECRET=unused', 'BASE_URL=https://addigy.invalid') |
                Set-Content (Join-Path $copy '.env')
            pwsh -NoProfile -File (Join-Path $copy 'PSMain.ps1') update-status
            $LASTEXITCODE | Should -Be 0
        } finally {
            Remove-Item $copy -Recurse -Force
        }
        $card = Invoke-Sim GET "/integrations/$script:Integration"
        $card.status | Should -Be 'pending'
    }

    It 'creates a service and an account, maps them as the partner, and the count reaches the card' {
        $request = Initialize-PSCreateServiceRequest 'Endpoint Protection' 'Per protected device' `
            'https://vendor.example/kb' 'support@vendor.example' 'security' 'endpoint detection and response (EDR)'
        $vendor = New-PSVendorService $request
        # POST /service answers the whole vendor: the new service is the last of its skus.
        $serviceId = ($vendor.skus | Where-Object name -eq 'Endpoint Protection').id
        $serviceId | Should -Not -BeNullOrEmpty
        New-PSAccount (Initialize-PSCreateMappingProperty 'Cedar Ridge Law LLP' '' 'cedar-1') | Out-Null

        Invoke-Sim POST "/integrations/$script:Integration/step" @{ step = 'account_mapping' } | Out-Null
        $candidates = Invoke-Sim GET "/integrations/$script:Integration/mappings"
        $cedar = ($candidates.psaAccounts | Where-Object name -eq 'Cedar Ridge Law, LLP').id
        $edr = ($candidates.psaProducts | Where-Object productCode -eq 'SEC-EDR').id
        Invoke-Sim PUT "/integrations/$script:Integration/mappings/accounts/cedar-1" @{ psaAccountId = $cedar } | Out-Null
        Invoke-Sim POST "/integrations/$script:Integration/step" @{ step = 'service_mapping' } | Out-Null
        Invoke-Sim PUT "/integrations/$script:Integration/mappings/services/$serviceId" @{ psaProductIds = @($edr) } | Out-Null
        Invoke-Sim POST "/integrations/$script:Integration/step" @{ step = 'review' } | Out-Null
        Invoke-Sim POST "/integrations/$script:Integration/finish" | Out-Null

        # The SDK's Initialize-PSCreateBillingRequest reads a $attributes table its templates define
        # (PSGradient/Model/CreateBillingRequest.ps1); without one it throws before sending.
        $global:attributes = @{}
        New-PSBilling $serviceId (Initialize-PSCreateBillingRequest '' 'cedar-1' 31) | Out-Null

        $billing = Invoke-Sim POST '/billing/rebuild'
        $card = $billing.cards | Where-Object { $_.accountName -eq 'Cedar Ridge Law, LLP' -and $_.productCode -eq 'SEC-EDR' }
        $card.vendorQuantity | Should -Be 31
    }
}
