"""Print the digit in a picture, read by model 1.

    python predict_1.py samples/7.png          # -> 7
    python predict_1.py a.png b.png photos/    # -> PATH<TAB>DIGIT per picture
    python predict_1.py --help
"""
from digits import predict_cli

if __name__ == '__main__':
    predict_cli.main(1)
