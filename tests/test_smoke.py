from trustsim.config.loading import load_scenario
from trustsim.model.model import TrustModel


def test_every_shipped_scenario_runs_and_keeps_trust_in_range():
    for name in ("dyad", "europe", "random_network", "classic_ipd", "richardson"):
        model = TrustModel(load_scenario(name, ["steps=20"]))
        model.run()
        assert model.steps == 20
        assert ((model.trust >= 0) & (model.trust <= 1)).all()
