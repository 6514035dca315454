"""Print the digit in a picture, read by model 2.

    python predict_2.py samples/7.png          # -> 7
    python predict_2.py a.png b.png photos/    # -> PATH<TAB>DIGIT per picture
    python predict_2.py --help
"""
from digits import predict_cli

if __name__ == '__main__':
    predict_cli.main(2)
