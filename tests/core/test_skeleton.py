from posestudio.core import skeleton


def test_joint_order_matches_design():
    assert skeleton.JOINTS[:5] == ("nose", "neck", "r_shoulder", "r_elbow", "r_wrist")
    assert skeleton.JOINTS[14:] == ("r_eye", "l_eye", "r_ear", "l_ear")
    assert len(skeleton.LIMBS) == 17 and len(skeleton.COLORS) == 18


def test_flip_permutation_is_an_involution_that_swaps_every_pair():
    perm = skeleton.FLIP_PERMUTATION
    assert all(perm[perm[i]] == i for i in range(18))
    for r, l in skeleton.LR_PAIRS:
        assert skeleton.JOINTS[r].startswith("r_") and skeleton.JOINTS[l] == "l_" + skeleton.JOINTS[r][2:]
        assert perm[r] == l
    assert perm[0] == 0 and perm[1] == 1


def test_kinematic_tree_reaches_every_joint_from_the_neck():
    order = skeleton.topological_order()
    assert order[0] == 1 and sorted(order) == list(range(18))
    for j in order[1:]:
        assert order.index(skeleton.PARENT[j]) < order.index(j)
    assert skeleton.descendants(2) == [3, 4]


def test_part_groups_cover_the_body():
    covered = set().union(*skeleton.SUBPOSES.values())
    assert covered == set(range(18))
    assert len(skeleton.RIGID_PARTS) == 10
    assert set().union(*skeleton.RIGID_PARTS.values()) == set(range(18)) - {1}
